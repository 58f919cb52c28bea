// The recorder: what it keeps, what it drops, its timestamps, and that histories recorded from
// truly concurrent clients of a correct store are accepted while a stale store is caught.
namespace KvDb.Tests.Linearizability;

public class HistoryRecorderTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Call_is_read_when_an_operation_begins_and_return_when_it_completes()
    {
        var ticks = 0L;
        var recorder = new HistoryRecorder(() => ++ticks);

        var put = recorder.Begin(7, "k", KvInput.Put("a"));
        var get = recorder.Begin(8, "k", KvInput.Get);
        get.Complete(Outcome.Found("a"));
        put.Complete(Outcome.Ok);

        recorder.History().Should().Equal(
            new Operation(8, "k", KvInput.Get, Outcome.Found("a"), call: 2, @return: 3),
            new Operation(7, "k", KvInput.Put("a"), Outcome.Ok, call: 1, @return: 4));
    }

    [Fact]
    public void A_write_with_unknown_outcome_is_kept_and_a_read_with_unknown_outcome_is_dropped()
    {
        var recorder = new HistoryRecorder();

        recorder.Begin(1, "k", KvInput.Put("a")).CompleteUnknown();
        recorder.Begin(1, "k", KvInput.Cas("a", "b")).CompleteUnknown();
        recorder.Begin(2, "k", KvInput.Get).CompleteUnknown();

        recorder.History().Select(o => (o.Input.Kind, o.Output)).Should().Equal(
            (OpKind.Put, Outcome.Unknown),
            (OpKind.Cas, Outcome.Unknown));
    }

    [Fact]
    public void A_discarded_operation_is_not_recorded()
    {
        var recorder = new HistoryRecorder();

        recorder.Begin(1, "k", KvInput.Put("a")).Discard();
        recorder.Begin(2, "k", KvInput.Get).Discard();

        recorder.History().Should().BeEmpty();
        recorder.PendingCount.Should().Be(0);
    }

    [Fact]
    public void A_write_still_pending_is_reported_with_unknown_outcome_and_a_pending_read_is_left_out()
    {
        var recorder = new HistoryRecorder();
        recorder.Begin(1, "k", KvInput.Delete);
        recorder.Begin(2, "k", KvInput.Get);

        var history = recorder.History();

        history.Should().ContainSingle().Which.Should().Match<Operation>(o => o.Input == KvInput.Delete && o.IsOutcomeUnknown);
        recorder.PendingCount.Should().Be(2);
    }

    [Fact]
    public void An_operation_can_be_settled_only_once()
    {
        var recorder = new HistoryRecorder();
        var put = recorder.Begin(1, "k", KvInput.Put("a"));
        put.Complete(Outcome.Ok);

        put.Invoking(p => p.CompleteUnknown()).Should().Throw<InvalidOperationException>();
        put.Invoking(p => p.Discard()).Should().Throw<InvalidOperationException>();
        recorder.History().Should().ContainSingle();
    }

    [Fact]
    public void An_outcome_that_cannot_belong_to_the_operation_is_refused_and_the_operation_stays_pending()
    {
        var recorder = new HistoryRecorder();
        var get = recorder.Begin(1, "k", KvInput.Get);

        get.Invoking(g => g.Complete(Outcome.Ok)).Should().Throw<ArgumentException>();
        get.Invoking(g => g.Complete(Outcome.PreconditionFailed)).Should().Throw<ArgumentException>();
        recorder.PendingCount.Should().Be(1);

        get.Complete(Outcome.NotFound);
        recorder.History().Should().ContainSingle().Which.Output.Should().Be(Outcome.NotFound);
    }

    [Fact]
    public void Operations_refuse_a_return_before_their_call()
    {
        var build = () => new Operation(1, "k", KvInput.Get, Outcome.NotFound, call: 10, @return: 9);

        build.Should().Throw<ArgumentException>();
    }

    [Fact]
    public async Task Concurrent_clients_of_a_linearizable_store_record_a_linearizable_history()
    {
        var store = new LockedStore();
        var recorder = new HistoryRecorder();

        await Task.WhenAll(Enumerable.Range(0, 16).Select(client => Task.Run(() => RunClient(client, store, recorder, seed: client))));

        var history = recorder.History();
        history.Should().HaveCount(16 * 300);
        history.Should().OnlyContain(o => o.Call <= o.Return);
        var result = LinearizabilityChecker.Check(history, Timeout);
        result.IsLinearizable.Should().BeTrue(result.Explanation);
    }

    [Fact]
    public void A_store_that_serves_reads_from_a_stale_copy_is_caught()
    {
        var store = new LaggingStore();
        var recorder = new HistoryRecorder();

        Record(recorder, 1, "k", KvInput.Put("a"), () => store.Put("k", "a"));
        Record(recorder, 1, "k", KvInput.Put("b"), () => store.Put("k", "b"));
        Record(recorder, 2, "k", KvInput.Get, () => Outcome.FromRead(store.Get("k")));

        var result = LinearizabilityChecker.Check(recorder.History(), Timeout);
        result.IsLinearizable.Should().BeFalse();
        result.Explanation.Should().Contain("it read \"a\" but the register holds \"b\"");
    }

    private static void RunClient(int client, LockedStore store, HistoryRecorder recorder, int seed)
    {
        var random = new Random(seed);
        for (var n = 0; n < 300; n++)
        {
            var key = $"key-{random.Next(4)}";
            var value = $"c{client}-{n}";
            var expected = store.Peek(key); // often stale by the time the Cas runs, so both outcomes occur
            _ = random.Next(4) switch
            {
                0 => Record(recorder, client, key, KvInput.Put(value), () => store.Put(key, value)),
                1 => Record(recorder, client, key, KvInput.Delete, () => store.Delete(key)),
                2 => Record(recorder, client, key, KvInput.Cas(expected, value), () => store.CompareAndSet(key, expected, value)),
                _ => Record(recorder, client, key, KvInput.Get, () => Outcome.FromRead(store.Get(key))),
            };
        }
    }

    private static Outcome Record(HistoryRecorder recorder, int client, string key, KvInput input, Func<Outcome> perform)
    {
        var operation = recorder.Begin(client, key, input);
        var outcome = perform();
        operation.Complete(outcome);
        return outcome;
    }

    /// <summary>A linearizable store: every operation takes effect atomically under one lock.</summary>
    private sealed class LockedStore
    {
        private readonly Dictionary<string, string> values = new();

        public string? Peek(string key)
        {
            lock (values)
                return values.GetValueOrDefault(key);
        }

        public string? Get(string key) => Peek(key);

        public Outcome Put(string key, string value)
        {
            lock (values)
                values[key] = value;
            return Outcome.Ok;
        }

        public Outcome Delete(string key)
        {
            lock (values)
                values.Remove(key);
            return Outcome.Ok;
        }

        public Outcome CompareAndSet(string key, string? expected, string value)
        {
            lock (values)
            {
                if (values.GetValueOrDefault(key) != expected)
                    return Outcome.PreconditionFailed;
                values[key] = value;
                return Outcome.Ok;
            }
        }
    }

    /// <summary>A broken store: reads come from a copy that lags one write behind.</summary>
    private sealed class LaggingStore
    {
        private readonly Dictionary<string, string> current = new();
        private readonly Dictionary<string, string> stale = new();

        public string? Get(string key) => stale.GetValueOrDefault(key);

        public Outcome Put(string key, string value)
        {
            if (current.TryGetValue(key, out var previous))
                stale[key] = previous;
            current[key] = value;
            return Outcome.Ok;
        }
    }
}
