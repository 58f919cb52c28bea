// Entry point: BenchmarkDotNet benchmarks by default; "memory" runs the load/RSS/reopen harness.
using BenchmarkDotNet.Running;
using KvDb.Benchmarks;

if (args is ["memory", ..])
    return MemoryHarness.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300_000);

BenchmarkSwitcher.FromAssembly(typeof(StorageBenchmarks).Assembly).Run(args);
return 0;
