// The dashboard's own JSON: /ui/api/session, /ui/api/cluster and /ui/api/activity. Only the dashboard reads them,
// so they live here rather than in KvDb.Contracts.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvDb.Node.Dashboard;

/// <summary>One prefix a user's roles grant, and how.</summary>
/// <param name="Prefix">The key prefix ("" is every key).</param>
/// <param name="Access">"read", "write" or "readwrite".</param>
public sealed record PrefixAccessJson(string Prefix, string Access);

/// <summary>The caller, as the dashboard shows it.</summary>
/// <param name="User">The user's name; null while auth is off.</param>
/// <param name="Root">Whether the user has the root role (everyone is, in effect, while auth is off).</param>
/// <param name="Grants">What the user's roles grant.</param>
public sealed record SessionJson(string? User, bool Root, IReadOnlyList<PrefixAccessJson> Grants);

/// <summary>One member's status as another member read it.</summary>
/// <param name="Id">The member's id.</param>
/// <param name="HttpUrl">Its client URL.</param>
/// <param name="PeerUrl">Its peer URL.</param>
/// <param name="Status">Its <c>/v1/status</c>, or null when it did not answer.</param>
/// <param name="Error">Why there is no status.</param>
public sealed record MemberOverviewJson(long Id, string HttpUrl, string PeerUrl, JsonElement? Status, string? Error);

/// <summary>The answer of <c>/ui/api/cluster</c>.</summary>
/// <param name="AnsweredBy">The id of the member that read the statuses.</param>
/// <param name="Members">Every member of its configuration.</param>
public sealed record ClusterJson(long AnsweredBy, IReadOnlyList<MemberOverviewJson> Members);

/// <summary>One member's recent activity as another member read it.</summary>
/// <param name="Id">The member's id.</param>
/// <param name="HttpUrl">Its client URL.</param>
/// <param name="Activity">Its <c>/v1/activity</c>, or null when it did not answer.</param>
/// <param name="Error">Why there is no activity.</param>
public sealed record MemberActivityJson(long Id, string HttpUrl, JsonElement? Activity, string? Error);

/// <summary>The answer of <c>/ui/api/activity</c>.</summary>
/// <param name="AnsweredBy">The id of the member that read the others.</param>
/// <param name="Members">Every member of its configuration.</param>
public sealed record ActivityOverviewJson(long AnsweredBy, IReadOnlyList<MemberActivityJson> Members);

/// <summary>Source-generated serialization of the dashboard's JSON.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SessionJson))]
[JsonSerializable(typeof(ClusterJson))]
[JsonSerializable(typeof(ActivityOverviewJson))]
public sealed partial class DashboardJsonContext : JsonSerializerContext;
