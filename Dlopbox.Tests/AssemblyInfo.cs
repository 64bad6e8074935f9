// The end-to-end collections each run real brokers, nginx and services; on a 2-core machine they
// are steadier one after another than side by side.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
