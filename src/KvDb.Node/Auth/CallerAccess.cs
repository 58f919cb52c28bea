// Who the caller is and what it may read, for handlers that shape an answer by it rather than
// refuse it (issue 26): idempotency records are kept per user, and a caller that may write a key
// but not read it gets answers that say nothing about the key's state. What it refuses, it
// refuses through KeyAccess (one wording, one count of refusals).
// Invariant: with auth off there is no caller: no name, and every key may be read.
using KvDb.Core.Auth;
using KvDb.Core.Commands;

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

    /// <summary>
    /// 403 when a write states a <paramref name="condition"/> (If-Match, If-None-Match) on a key
    /// the caller may not read: whether it holds, and a 412's current revision, would tell the
    /// key's state. Null when there is no condition, the caller may read the key, or auth is off.
    /// </summary>
    public static IResult? DeniedCondition(HttpContext context, byte[] key, Precondition? condition)
        => condition is null ? null : KeyAccess.Denied(context, Access.Read, key);
}
