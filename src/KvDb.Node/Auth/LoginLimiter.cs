// How many password checks a member spends on logins that fail: token buckets for one user name
// from one client address, for one address whatever the names, and for one name whatever the
// addresses. A login takes a permit from all three BEFORE its password is checked and gives them
// back when the password was right, so parallel attempts get no more checks than serial ones,
// and only failures use up a budget.
// Invariants:
//  - Taking is all or nothing under one lock: either every bucket had a permit and each lost
//    one, or none changed.
//  - One address can take at most AddressUser.PerSecond permits a second from a user's bucket,
//    which refills faster than that (User.PerSecond), so a flood from one address never empties
//    it: the right password from another address is still checked.
//  - The figures are per member; nothing is shared between members.
//  - Buckets that have refilled are dropped, so memory follows the recent failures, not every
//    name or address ever seen; a name is kept as at most 64 characters (longer ones hashed).
//  - IPv6 addresses count by their /64, which one client usually holds whole.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace KvDb.Node.Auth;

/// <summary>A token bucket's size and refill.</summary>
/// <param name="Burst">Permits when full.</param>
/// <param name="PerSecond">Permits added a second.</param>
public readonly record struct LoginBudget(int Burst, double PerSecond);

/// <summary>The permits one login took; give them back when its password was right.</summary>
public readonly struct LoginPermit
{
    internal LoginPermit(string addressUser, string address, string user)
    {
        AddressUser = addressUser;
        Address = address;
        User = user;
    }

    internal string AddressUser { get; }

    internal string Address { get; }

    internal string User { get; }
}

/// <summary>Limits the password checks spent on failed logins.</summary>
public sealed class LoginLimiter(TimeProvider clock)
{
    /// <summary>One user name from one address: 5 at once, then 1 a second.</summary>
    public static readonly LoginBudget AddressUser = new(5, 1);

    /// <summary>One address, any names (guessing many users' passwords): 20 at once, then 5 a second.</summary>
    public static readonly LoginBudget Address = new(20, 5);

    /// <summary>One user name, any addresses (a guess from many addresses): 50 at once, then 10 a second.</summary>
    public static readonly LoginBudget User = new(50, 10);

    private const int MaxNameLength = 64;
    private const int SweepAbove = 4096;

    private readonly Lock gate = new();
    private readonly Dictionary<string, Bucket> buckets = new(StringComparer.Ordinal);
    private int takesSinceSweep;

    /// <summary>Takes a permit for a login of <paramref name="name"/> from <paramref name="address"/>; false (nothing taken) when a budget is spent.</summary>
    public bool TryTake(string name, IPAddress address, out LoginPermit permit)
    {
        var user = "u:" + (name.Length <= MaxNameLength ? name : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(name))));
        var from = "a:" + Group(address);
        permit = new LoginPermit(from + " " + user, from, user);
        var now = clock.GetTimestamp();
        lock (gate)
        {
            if (++takesSinceSweep >= SweepAbove && buckets.Count >= SweepAbove)
                Sweep(now);

            var forAddressUser = Find(permit.AddressUser, AddressUser, now);
            var forAddress = Find(permit.Address, Address, now);
            var forUser = Find(permit.User, User, now);
            if (forAddressUser.Tokens < 1 || forAddress.Tokens < 1 || forUser.Tokens < 1)
                return false;

            forAddressUser.Tokens--;
            forAddress.Tokens--;
            forUser.Tokens--;
            return true;
        }
    }

    /// <summary>Gives back what <paramref name="permit"/> took: its password was right.</summary>
    public void GiveBack(LoginPermit permit)
    {
        var now = clock.GetTimestamp();
        lock (gate)
        {
            Find(permit.AddressUser, AddressUser, now).Return();
            Find(permit.Address, Address, now).Return();
            Find(permit.User, User, now).Return();
        }
    }

    // The bucket under key, refilled up to now (a new one is full).
    private Bucket Find(string key, LoginBudget budget, long now)
    {
        if (!buckets.TryGetValue(key, out var bucket))
        {
            bucket = new Bucket(budget, now);
            buckets[key] = bucket;
        }

        bucket.Refill(now, clock.TimestampFrequency);
        return bucket;
    }

    private void Sweep(long now)
    {
        takesSinceSweep = 0;
        foreach (var (key, bucket) in buckets)
        {
            bucket.Refill(now, clock.TimestampFrequency);
            if (bucket.IsFull)
                buckets.Remove(key);
        }
    }

    private static string Group(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return address.ToString();

        var bytes = address.GetAddressBytes();
        bytes.AsSpan(8).Clear();
        return new IPAddress(bytes) + "/64";
    }

    private sealed class Bucket(LoginBudget budget, long now)
    {
        private long refilledAt = now;

        public double Tokens { get; set; } = budget.Burst;

        public bool IsFull => Tokens >= budget.Burst;

        public void Refill(long now, long frequency)
        {
            if (now > refilledAt)
                Tokens = Math.Min(budget.Burst, Tokens + ((now - refilledAt) * budget.PerSecond / frequency));
            refilledAt = now;
        }

        public void Return() => Tokens = Math.Min(budget.Burst, Tokens + 1);
    }
}
