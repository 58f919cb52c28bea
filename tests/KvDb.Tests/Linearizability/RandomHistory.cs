// Generates histories that are linearizable by construction, for the checker's randomised tests.
// Invariants:
//  - Each client issues operations one after another, with random gaps and durations, so a
//    client's operations never overlap and different clients' operations overlap freely.
//  - Every operation that takes effect does so at one instant (its linearization point) drawn
//    strictly inside [Call, Return]; outputs come from applying the effects in point order to a
//    plain dictionary, written independently of RegisterModel so the tests are not circular.
//  - A write with an unknown outcome either never takes effect or takes effect at a point after
//    its call, possibly after the client gave up; its output is recorded as Unknown.
//  - Every written value is unique ("c{client}-{n}"), so a read's value names exactly one writer.
//  - The same seed always yields the same history. EndMs is later than every effect and return.
namespace KvDb.Tests.Linearizability;

/// <summary>A generated history and what its recorded operations really did.</summary>
internal sealed record GeneratedHistory(
    List<Operation> Operations,
    IReadOnlyDictionary<string, string?> FinalValues,
    double EndMs);

/// <summary>Shapes a random history.</summary>
public sealed record HistoryShape(int Clients, int Keys, int OperationsPerClient, double UnknownWriteRate, int Seed, bool WithCas = true);

/// <summary>Generates linearizable histories from a real sequential register.</summary>
internal static class RandomHistory
{
    public static GeneratedHistory Generate(HistoryShape shape)
    {
        var random = new Random(shape.Seed);
        var planned = PlanIntervals(shape, random);
        var finalValues = ApplyInPointOrder(planned);
        var operations = planned.Select(p => p.ToOperation()).ToList();
        var endMs = planned.Max(p => Math.Max(p.ReturnMs, p.PointMs ?? 0)) + 1;
        return new GeneratedHistory(operations, finalValues, endMs);
    }

    private static List<Planned> PlanIntervals(HistoryShape shape, Random random)
    {
        var planned = new List<Planned>();
        var recentValues = new Dictionary<string, List<string>>();
        for (var client = 0; client < shape.Clients; client++)
        {
            var now = random.NextDouble() * 5;
            for (var n = 0; n < shape.OperationsPerClient; n++)
            {
                var key = $"key-{random.Next(shape.Keys)}";
                var input = RandomInput(random, key, $"c{client}-{n}", recentValues, shape.WithCas);
                var call = now + random.NextDouble() * 2;
                var ret = call + 0.05 + random.NextDouble() * 10;
                var unknown = input.IsWrite && random.NextDouble() < shape.UnknownWriteRate;
                planned.Add(new Planned(client, key, input, call, ret, unknown, EffectPoint(random, call, ret, unknown)));
                now = ret;
            }
        }
        return planned;
    }

    private static KvInput RandomInput(Random random, string key, string freshValue, Dictionary<string, List<string>> recentValues, bool withCas)
    {
        if (!recentValues.TryGetValue(key, out var recent))
            recentValues.Add(key, recent = new List<string>());
        var roll = random.NextDouble();
        if (roll < 0.45)
            return KvInput.Get;
        if (roll < 0.55)
            return KvInput.Delete;
        recent.Add(freshValue);
        if (roll < 0.80 || !withCas)
            return KvInput.Put(freshValue);
        var expected = random.NextDouble() < 0.2 || recent.Count < 2 ? null : recent[random.Next(Math.Max(0, recent.Count - 4), recent.Count - 1)];
        return KvInput.Cas(expected, freshValue);
    }

    /// <summary>When the operation takes effect: inside its interval, or for an unknown write maybe later or never (null).</summary>
    private static double? EffectPoint(Random random, double call, double ret, bool unknown)
    {
        var fraction = 0.001 + random.NextDouble() * 0.998;
        if (!unknown)
            return call + fraction * (ret - call);
        return random.NextDouble() < 0.5 ? null : call + fraction * 3 * (ret - call);
    }

    private static Dictionary<string, string?> ApplyInPointOrder(List<Planned> planned)
    {
        var register = new Dictionary<string, string?>();
        foreach (var p in planned.Where(p => p.PointMs is not null).OrderBy(p => p.PointMs))
            p.Output = Apply(register, p.Key, p.Input);
        return register;
    }

    private static Outcome Apply(Dictionary<string, string?> register, string key, KvInput input)
    {
        var current = register.GetValueOrDefault(key);
        switch (input.Kind)
        {
            case OpKind.Get:
                return Outcome.FromRead(current);
            case OpKind.Put:
                register[key] = input.Value;
                return Outcome.Ok;
            case OpKind.Delete:
                register[key] = null;
                return Outcome.Ok;
            default:
                if (current != input.Expected)
                    return Outcome.PreconditionFailed;
                register[key] = input.Value;
                return Outcome.Ok;
        }
    }

    private sealed class Planned(int client, string key, KvInput input, double callMs, double returnMs, bool unknown, double? pointMs)
    {
        public string Key { get; } = key;

        public KvInput Input { get; } = input;

        public double ReturnMs { get; } = returnMs;

        public double? PointMs { get; } = pointMs;

        public Outcome Output { get; set; } = Outcome.Unknown;

        public Operation ToOperation() => new(
            client,
            Key,
            Input,
            unknown ? Outcome.Unknown : Output,
            HistoryBuilder.Ticks(callMs),
            HistoryBuilder.Ticks(ReturnMs));
    }
}
