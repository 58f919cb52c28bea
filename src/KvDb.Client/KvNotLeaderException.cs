// A proclamation by a leadership that no longer leads (409): it resigned, its lease ended, or
// its key was deleted.
using System.Net;

namespace KvDb.Client;

/// <summary>The leadership no longer leads its election; nothing was changed.</summary>
public sealed class KvNotLeaderException : KvException
{
    /// <summary>Makes the exception.</summary>
    /// <param name="name">The election's name.</param>
    /// <param name="key">The former leader's key.</param>
    /// <param name="title">kvdb's title.</param>
    /// <param name="detail">kvdb's detail.</param>
    public KvNotLeaderException(string name, string key, string? title, string? detail)
        : base(HttpStatusCode.Conflict, title ?? "Not the leader", detail ?? $"'{key}' does not lead election '{name}' any more.")
    {
        Name = name;
        Key = key;
    }

    /// <summary>The election's name.</summary>
    public string Name { get; }

    /// <summary>The former leader's key.</summary>
    public string Key { get; }
}
