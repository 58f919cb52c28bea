// Who the caller is and what it may read, for handlers that shape an answer by it rather than
// refuse it (issue 26): idempotency records are kept per user, and listings and descriptions
// show only what the caller may read.
// Invariant: with auth off there is no caller: no name, and every key may be read.
using KvDb.Core.Auth;

namespace KvDb.Node.Auth;

/// <summary>The authenticated caller's name and read access, without refusing anything.</summary>
public static class CallerAccess
{
    /// <summary>The authenticated user's name; null with auth off.</summary>
    public static string? NameOf(HttpContext context) => context.Features.Get<AuthenticatedCaller>()?.User.Name;

    /// <summary>Whether the caller may read <paramref name="key"/> (always true with auth off).</summary>
    public static bool MayRead(HttpContext context, ReadOnlySpan<byte> key)
        => context.Features.Get<AuthenticatedCaller>() is not { } caller || caller.State.Allows(caller.User, Access.Read, key, null, singleKey: true);

    /// <summary>Whether the caller may read every key of [<paramref name="start"/>, <paramref name="end"/>) (always true with auth off).</summary>
    public static bool MayReadRange(HttpContext context, byte[] start, byte[]? end)
        => context.Features.Get<AuthenticatedCaller>() is not { } caller || caller.State.Allows(caller.User, Access.Read, start, end, singleKey: false);
}
