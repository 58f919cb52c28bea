// Chooses the member for each request: round-robin over the members that are not resting, so
// requests spread over the cluster and a member that is down is skipped.
// Invariants: every member is chosen in turn while all are healthy; a resting member is chosen
// only once its rest is over; when all rest, the caller learns how long until the first wakes.

namespace KvDb.Client;

/// <summary>The members a client talks to, taken in turn.</summary>
internal sealed class EndpointRotation
{
    private readonly MemberEndpoint[] members;
    private int next = -1;

    /// <summary>Makes a rotation over <paramref name="baseUris"/> (each ending in '/').</summary>
    public EndpointRotation(IEnumerable<Uri> baseUris) => members = [.. baseUris.Select(static uri => new MemberEndpoint(uri))];

    /// <summary>Every member, in the order given.</summary>
    public IReadOnlyList<MemberEndpoint> All => members;

    /// <summary>The next member that is not resting, or null and how long until one is.</summary>
    public MemberEndpoint? TryChoose(out TimeSpan wait)
    {
        var start = (int)((uint)Interlocked.Increment(ref next) % (uint)members.Length);
        var now = Environment.TickCount64;
        var earliest = long.MaxValue;
        for (var i = 0; i < members.Length; i++)
        {
            var member = members[(start + i) % members.Length];
            var until = member.RestingUntil;
            if (until <= now)
            {
                wait = TimeSpan.Zero;
                return member;
            }

            earliest = Math.Min(earliest, until);
        }

        wait = TimeSpan.FromMilliseconds(Math.Max(1, earliest - now));
        return null;
    }
}
