// A meter factory of the test's own, and a listener that sums the KvDb.Client counters of the
// clients made with it (and no others: tests run side by side).
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace KvDb.Client.Tests;

public sealed class TestMeters : IDisposable
{
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, long> totals = new();

    public TestMeters()
    {
        Factory = services.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == KvClient.MeterName && ReferenceEquals(instrument.Meter.Scope, Factory))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        listener.Start();
    }

    public IMeterFactory Factory { get; }

    /// <summary>The sum of a counter so far, e.g. "kvdb.client.failovers".</summary>
    public long Total(string name) => totals.TryGetValue(name, out var sum) ? sum : 0;

    public void Dispose()
    {
        listener.Dispose();
        services.Dispose();
    }
}
