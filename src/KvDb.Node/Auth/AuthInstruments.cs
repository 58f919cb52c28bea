// The instruments of the auth feature, on kvdb's shared meter (KvdbMeter); MeterBridge exports them
// to /metrics as kvdb_<name>. Recording is lock-free and costs nothing without a listener.
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Auth;

/// <summary>The instruments of the auth feature.</summary>
public static class AuthInstruments
{
    /// <summary>Creates the instruments, so /metrics lists them before their first event.</summary>
    public static void Publish() => RuntimeHelpers.RunClassConstructor(typeof(AuthInstruments).TypeHandle);

    /// <summary>Requests refused by auth, by outcome (unauthorized, forbidden, rate_limited).</summary>
    public static readonly Counter<long> AuthRefusals = KvdbMeter.Meter.CreateCounter<long>(
        "auth_refusals", unit: "{request}", description: "Requests refused by auth: unauthorized (401), forbidden (403) or rate_limited (429).");

    /// <summary>Counts one refusal with HTTP <paramref name="status"/>.</summary>
    public static void RecordAuthRefusal(int status)
        => AuthRefusals.Add(1, new KeyValuePair<string, object?>("outcome", status switch { 401 => "unauthorized", 403 => "forbidden", 429 => "rate_limited", _ => "other" }));
}
