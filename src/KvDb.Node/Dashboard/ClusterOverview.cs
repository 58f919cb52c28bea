// Reads every member's /v1/status for the dashboard's cluster view, and every member's
// /v1/activity for its activity charts: this member's status first (for the member list), then
// the others' in parallel, each with a short timeout, so a member that is down shows as
// unreachable instead of holding up the page.
// Invariants: the caller's Authorization header is passed on unchanged (members share users and
// token keys), so the view needs exactly the access GET /v1/status needs; nothing is cached.
using System.Globalization;
using System.Text.Json;
using KvDb.Node.Raft;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Dashboard;

/// <summary>Collects the members' statuses.</summary>
public sealed class ClusterOverview(IHttpClientFactory clients, IOptions<MemberOptions> member)
{
    /// <summary>The name of the dashboard's HTTP client.</summary>
    public const string ClientName = "kvdb-dashboard";

    /// <summary>How long one member gets to answer.</summary>
    public static readonly TimeSpan MemberTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Every member's status, this member's first.</summary>
    public async Task<ClusterJson> ReadAsync(string authorization, CancellationToken token)
    {
        var self = member.Value;
        var (own, ownError) = await FetchAsync(self.AdvertisedHttpUrl, StatusPath, authorization, token);
        var members = new List<MemberOverviewJson>
        {
            new(self.Id, self.AdvertisedHttpUrl, self.PeerUrl, own, ownError),
        };

        var others = OthersOf(own);
        var statuses = await Task.WhenAll(others.Select(m => FetchAsync(m.Http, StatusPath, authorization, token)));
        for (var i = 0; i < others.Count; i++)
            members.Add(new MemberOverviewJson(others[i].Id, others[i].Http, others[i].Peer, statuses[i].Document, statuses[i].Error));

        return new ClusterJson(self.Id, members);
    }

    /// <summary>Every member's recent activity (<c>/v1/activity?minutes=</c>), this member's first.</summary>
    public async Task<ActivityOverviewJson> ReadActivityAsync(int minutes, string authorization, CancellationToken token)
    {
        var self = member.Value;
        var path = $"/v1/activity?minutes={minutes.ToString(CultureInfo.InvariantCulture)}";
        var ownStatus = FetchAsync(self.AdvertisedHttpUrl, StatusPath, authorization, token);
        var ownActivity = FetchAsync(self.AdvertisedHttpUrl, path, authorization, token);
        var (status, _) = await ownStatus;
        var (activity, error) = await ownActivity;
        var members = new List<MemberActivityJson> { new(self.Id, self.AdvertisedHttpUrl, activity, error) };

        var others = OthersOf(status);
        var answers = await Task.WhenAll(others.Select(m => FetchAsync(m.Http, path, authorization, token)));
        for (var i = 0; i < others.Count; i++)
            members.Add(new MemberActivityJson(others[i].Id, others[i].Http, answers[i].Document, answers[i].Error));

        return new ActivityOverviewJson(self.Id, members);
    }

    private const string StatusPath = "/v1/status";

    private List<(long Id, string Http, string Peer)> OthersOf(JsonElement? status)
    {
        if (status is not { } own || !own.TryGetProperty("members", out var list) || list.ValueKind is not JsonValueKind.Array)
            return [];
        var self = member.Value.Id;
        return list.EnumerateArray()
            .Select(static m => (Id: m.GetProperty("id").GetInt64(), Http: m.GetProperty("httpUrl").GetString() ?? "", Peer: m.GetProperty("peerUrl").GetString() ?? ""))
            .Where(m => m.Id != self)
            .ToList();
    }

    private async Task<(JsonElement? Document, string? Error)> FetchAsync(string httpUrl, string path, string authorization, CancellationToken token)
    {
        if (!Uri.TryCreate(httpUrl, UriKind.Absolute, out var baseUri))
            return (null, "not reachable (its client URL is not known here)");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(MemberTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, path));
            if (authorization.Length > 0)
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var response = await clients.CreateClient(ClientName).SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
                return (null, $"answered {(int)response.StatusCode}");
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var document = await JsonDocument.ParseAsync(body, cancellationToken: timeout.Token);
            return (document.RootElement.Clone(), null);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return (null, $"no answer within {MemberTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            return (null, e.HttpRequestError is HttpRequestError.ConnectionError ? "unreachable" : e.Message);
        }
        catch (JsonException)
        {
            return (null, "answered with something that is not JSON");
        }
    }
}
