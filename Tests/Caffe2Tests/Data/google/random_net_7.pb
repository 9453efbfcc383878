
😀async_scheduling