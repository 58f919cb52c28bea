// Reads every member's /v1/status for the dashboard's cluster view: this member's own first (for
// the member list), then the others' in parallel, each with a short timeout, so a member that
// is down shows as unreachable instead of holding up the page.
// Invariants: the caller's Authorization header is passed on unchanged (members share users and
// token keys), so the view needs exactly the access GET /v1/status needs; nothing is cached.
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
        var (own, ownError) = await StatusAsync(self.AdvertisedHttpUrl, authorization, token);
        var members = new List<MemberOverviewJson>
        {
            new(self.Id, self.AdvertisedHttpUrl, self.PeerUrl, own, ownError),
        };

        if (own is { } status && status.TryGetProperty("members", out var list) && list.ValueKind is JsonValueKind.Array)
        {
            var others = list.EnumerateArray()
                .Select(static m => (Id: m.GetProperty("id").GetInt64(), Http: m.GetProperty("httpUrl").GetString() ?? "", Peer: m.GetProperty("peerUrl").GetString() ?? ""))
                .Where(m => m.Id != self.Id)
                .ToList();
            var statuses = await Task.WhenAll(others.Select(m => StatusAsync(m.Http, authorization, token)));
            for (var i = 0; i < others.Count; i++)
                members.Add(new MemberOverviewJson(others[i].Id, others[i].Http, others[i].Peer, statuses[i].Status, statuses[i].Error));
        }

        return new ClusterJson(self.Id, members);
    }

    private async Task<(JsonElement? Status, string? Error)> StatusAsync(string httpUrl, string authorization, CancellationToken token)
    {
        if (!Uri.TryCreate(httpUrl, UriKind.Absolute, out var baseUri))
            return (null, "not reachable (its client URL is not known here)");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(MemberTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "/v1/status"));
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
            return (null, "answered a status that is not JSON");
        }
    }
}
