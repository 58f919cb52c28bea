// Cross-checks the checker against the definition of linearizability, applied by brute force to
// thousands of tiny random histories of one key: try every order of the operations that respects
// real time (a before b when a returned strictly before b was called; unknown outcomes never
// return) and every choice of unknown-outcome writes to leave out, and run each order through a
// plain register. The histories use two values only, ties in time, every kind and outcome, so
// they are linearizable about half the time; the pruning in the search (matching reads, ignored
// unknown writes, merged unobservable states, memo) must never change a verdict.
namespace KvDb.Tests.Linearizability;

public class BruteForceAgreementTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_checker_agrees_with_brute_force_on_small_random_histories(int seed)
    {
        var random = new Random(seed);
        var verdicts = new List<bool>();
        for (var n = 0; n < 1500; n++)
        {
            var history = RandomSmallHistory(random);
            var expected = BruteForceIsLinearizable(history);

            var result = LinearizabilityChecker.Check(history, Timeout);

            result.TimedOut.Should().BeFalse();
            result.IsLinearizable.Should().Be(expected, "brute force says {0} for:\n{1}\nchecker: {2}", expected, string.Join("\n", history), result);
            verdicts.Add(expected);
        }
        verdicts.Count(v => v).Should().BeGreaterThan(300, "enough linearizable histories to be a real test");
        verdicts.Count(v => !v).Should().BeGreaterThan(300, "enough non-linearizable histories to be a real test");
    }

    private static List<Operation> RandomSmallHistory(Random random)
    {
        var history = new List<Operation>();
        var count = random.Next(1, 7);
        for (var i = 0; i < count; i++)
        {
            var call = random.Next(0, 8);
            var ret = call + random.Next(0, 4);
            var (input, output) = RandomOperation(random);
            history.Add(new Operation(i, "k", input, output, call, ret));
        }
        return history;
    }

    private static (KvInput, Outcome) RandomOperation(Random random)
    {
        string? Value() => random.Next(3) switch { 0 => null, 1 => "a", _ => "b" };
        var unknown = random.Next(5) == 0;
        switch (random.Next(4))
        {
            case 0:
                return (KvInput.Get, Outcome.FromRead(Value()));
            case 1:
                return (KvInput.Put(Value() ?? "a"), unknown ? Outcome.Unknown : Outcome.Ok);
            case 2:
                return (KvInput.Delete, unknown ? Outcome.Unknown : Outcome.Ok);
            default:
                var outcome = unknown ? Outcome.Unknown : random.Next(2) == 0 ? Outcome.Ok : Outcome.PreconditionFailed;
                return (KvInput.Cas(Value(), Value() ?? "b"), outcome);
        }
    }

    private static bool BruteForceIsLinearizable(List<Operation> history)
    {
        var unknown = history.Where(o => o.IsOutcomeUnknown).ToList();
        for (var omitted = 0; omitted < 1 << unknown.Count; omitted++)
        {
            var mask = omitted;
            var kept = history.Where(o => !o.IsOutcomeUnknown || (mask & (1 << unknown.IndexOf(o))) == 0).ToList();
            if (SomeOrderWorks(kept, new List<Operation>()))
                return true;
        }
        return false;
    }

    private static bool SomeOrderWorks(List<Operation> remaining, List<Operation> order)
    {
        if (remaining.Count == 0)
            return RegisterAccepts(order);
        foreach (var next in remaining.ToList())
        {
            if (remaining.Any(other => other != next && MustPrecede(other, next)))
                continue;
            remaining.Remove(next);
            order.Add(next);
            var works = SomeOrderWorks(remaining, order);
            order.RemoveAt(order.Count - 1);
            remaining.Add(next);
            if (works)
                return true;
        }
        return false;
    }

    private static bool MustPrecede(Operation a, Operation b) => !a.IsOutcomeUnknown && a.Return < b.Call;

    private static bool RegisterAccepts(List<Operation> order)
    {
        string? register = null;
        foreach (var op in order)
        {
            switch (op.Input.Kind)
            {
                case OpKind.Get:
                    if (op.Output.Value != register)
                        return false;
                    break;
                case OpKind.Put:
                    register = op.Input.Value;
                    break;
                case OpKind.Delete:
                    register = null;
                    break;
                default:
                    var matches = register == op.Input.Expected;
                    if ((op.Output == Outcome.Ok && !matches) || (op.Output == Outcome.PreconditionFailed && matches))
                        return false;
                    if (matches)
                        register = op.Input.Value;
                    break;
            }
        }
        return true;
    }
}
