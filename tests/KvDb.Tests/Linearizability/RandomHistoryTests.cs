// Randomised tests: histories generated from a real register must be accepted, and specific
// corruptions that provably break linearizability must be caught, on the right key. Seeds are
// fixed, so every run checks the same histories; a corruption the generator cannot set up for a
// seed fails the test instead of passing silently.
namespace KvDb.Tests.Linearizability;

public class RandomHistoryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static TheoryData<HistoryShape> Shapes()
    {
        var shapes = new TheoryData<HistoryShape>();
        for (var seed = 1; seed <= 5; seed++)
        {
            // One hot key: 16 clients overlap all the time.
            shapes.Add(new HistoryShape(Clients: 16, Keys: 1, OperationsPerClient: 12, UnknownWriteRate: 0.05, Seed: seed));
            // kvdb's API today (no Cas) with many timed-out writes.
            shapes.Add(new HistoryShape(Clients: 16, Keys: 1, OperationsPerClient: 12, UnknownWriteRate: 0.15, Seed: seed, WithCas: false));
            shapes.Add(new HistoryShape(Clients: 8, Keys: 3, OperationsPerClient: 60, UnknownWriteRate: 0.05, Seed: seed));
            shapes.Add(new HistoryShape(Clients: 16, Keys: 20, OperationsPerClient: 50, UnknownWriteRate: 0.02, Seed: seed));
        }
        return shapes;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_history_generated_from_a_real_register_is_linearizable(HistoryShape shape)
    {
        var generated = RandomHistory.Generate(shape);

        var result = LinearizabilityChecker.Check(generated.Operations, Timeout);

        result.IsLinearizable.Should().BeTrue(result.Explanation);
        result.TimedOut.Should().BeFalse();
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_read_changed_to_a_value_never_written_is_caught(HistoryShape shape)
    {
        var history = RandomHistory.Generate(shape).Operations;
        var index = history.FindIndex(o => o.Output is { Kind: OutcomeKind.Read, Value: not null });
        index.Should().BeGreaterThanOrEqualTo(0, "the generator should produce a read that found a value");
        history[index] = WithOutput(history[index], Outcome.Found("never-written"));

        ShouldCatchViolationOn(history, history[index].Key);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_read_changed_to_a_value_overwritten_before_it_began_is_caught(HistoryShape shape)
    {
        // Writer of "old" returned, then another write took effect and returned, then the read
        // began: reading "old" is stale, because values are unique and nothing wrote "old" again.
        var history = RandomHistory.Generate(shape).Operations;
        var (read, old) = FindReadAfterTwoSequentialWrites(history);
        read.Should().BeGreaterThanOrEqualTo(0, "the generator should produce write, write, read in real-time order on one key");
        history[read] = WithOutput(history[read], Outcome.Found(old!));

        ShouldCatchViolationOn(history, history[read].Key);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_final_read_that_misses_the_last_acknowledged_write_is_caught(HistoryShape shape)
    {
        var generated = RandomHistory.Generate(shape);
        var history = generated.Operations;
        var (key, old) = FindAcknowledgedPut(history);
        var end = generated.EndMs;
        history.Add(Op(99, key, KvInput.Put("final"), Outcome.Ok, end + 1, end + 2));
        history.Add(Op(99, key, KvInput.Get, Outcome.Found(old), end + 3, end + 4));

        ShouldCatchViolationOn(history, key);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Two_final_reads_going_back_in_time_are_caught(HistoryShape shape)
    {
        var generated = RandomHistory.Generate(shape);
        var history = generated.Operations;
        var (key, old) = FindAcknowledgedPut(history, except: generated.FinalValues);
        var end = generated.EndMs;
        history.Add(Op(98, key, KvInput.Get, Outcome.FromRead(generated.FinalValues[key]), end + 1, end + 2));
        history.Add(Op(98, key, KvInput.Get, Outcome.Found(old), end + 3, end + 4));

        ShouldCatchViolationOn(history, key);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_same_final_reads_in_the_right_order_are_accepted(HistoryShape shape)
    {
        // Control for the test above: only the order of the two reads differs, and only the
        // read of the final value comes last, so a checker that rejects everything fails here.
        var generated = RandomHistory.Generate(shape);
        var history = generated.Operations;
        var (key, _) = FindAcknowledgedPut(history, except: generated.FinalValues);
        var end = generated.EndMs;
        history.Add(Op(98, key, KvInput.Get, Outcome.FromRead(generated.FinalValues[key]), end + 1, end + 2));
        history.Add(Op(98, key, KvInput.Get, Outcome.FromRead(generated.FinalValues[key]), end + 3, end + 4));

        LinearizabilityChecker.Check(history, Timeout).IsLinearizable.Should().BeTrue();
    }

    private static void ShouldCatchViolationOn(List<Operation> history, string key)
    {
        var result = LinearizabilityChecker.Check(history, Timeout);
        result.IsLinearizable.Should().BeFalse();
        result.TimedOut.Should().BeFalse();
        result.ViolatingKeys.Should().Equal(key);
        result.Explanation.Should().Contain($"Key \"{key}\"");
    }

    /// <summary>A read R and a value "old" such that Put("old") returned before write W began, and W returned before R began.</summary>
    private static (int Read, string? Old) FindReadAfterTwoSequentialWrites(List<Operation> history)
    {
        for (var r = 0; r < history.Count; r++)
        {
            var read = history[r];
            if (read.Input.Kind != OpKind.Get)
                continue;
            var old = history.FirstOrDefault(w => w.Key == read.Key && IsAcknowledgedPut(w) && history.Any(newer =>
                newer.Key == read.Key && IsAcknowledgedWrite(newer) && newer.Input.Value != w.Input.Value
                && newer.Call > w.Return && read.Call > newer.Return));
            if (old is not null)
                return (r, old.Input.Value);
        }
        return (-1, null);
    }

    /// <summary>A key and the value of a Put on it that was acknowledged, optionally not the key's final value.</summary>
    private static (string Key, string Value) FindAcknowledgedPut(List<Operation> history, IReadOnlyDictionary<string, string?>? except = null)
    {
        var put = history.First(o => IsAcknowledgedPut(o) && (except is null || except[o.Key] != o.Input.Value));
        return (put.Key, put.Input.Value!);
    }

    private static bool IsAcknowledgedPut(Operation o) => o.Input.Kind == OpKind.Put && o.Output.Kind == OutcomeKind.Ok;

    /// <summary>A write that certainly took effect.</summary>
    private static bool IsAcknowledgedWrite(Operation o) => o.Input.IsWrite && o.Output.Kind == OutcomeKind.Ok;

    private static Operation WithOutput(Operation o, Outcome output) => new(o.ClientId, o.Key, o.Input, output, o.Call, o.Return);

    private static Operation Op(int client, string key, KvInput input, Outcome output, double callMs, double returnMs)
        => new(client, key, input, output, HistoryBuilder.Ticks(callMs), HistoryBuilder.Ticks(returnMs));
}
