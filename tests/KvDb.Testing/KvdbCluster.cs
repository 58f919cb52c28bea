// A cluster of real kvdb processes on loopback ports chosen at run time, each with its own
// temporary data directory. Disposing it kills every member and deletes the directories.
// A cluster started with StartWithNetworkAsync has a PeerNetwork: each member's URL in
// --cluster is a proxy the test controls, its peer port listens behind it (see PeerNetwork).
using System.Globalization;
using System.Net;
using System.Text;

namespace KvDb.Testing;

/// <summary>One entry of <c>GET /v1/members</c>.</summary>
public sealed record MemberInfo(int Id, string PeerUrl, string? HttpUrl, string Role, bool Reachable);

/// <summary>
/// How a cluster's ports are protected: the schemes of the peer and client URLs, each member's
/// extra flags (its own certificate files) and the handler the test's clients use (trusting the
/// test CA, presenting a client certificate).
/// </summary>
public sealed record ClusterTransport(string PeerScheme, string ClientScheme, Func<int, string[]> MemberArgs, Func<HttpMessageHandler> ClientHandler)
{
    /// <summary>Plain HTTP on both ports, as every cluster test but the security ones runs.</summary>
    public static readonly ClusterTransport Plain = new("http", "http", static _ => [], static () => new HttpClientHandler());
}

/// <summary>Starts, stops and talks to a set of kvdb member processes.</summary>
public sealed class KvdbCluster : IAsyncDisposable
{
    private readonly List<int> raftPorts;
    private readonly List<int> httpPorts;
    private readonly string root;
    private readonly IReadOnlyList<string> extraArgs;
    private readonly List<KvdbProcess> retired = [];
    private readonly ClusterTransport transport;

    // With a network: the ports members' peer ports really listen on, behind the proxies on raftPorts.
    private readonly List<int> realPeerPorts = [];

    // Each member's variables for the whole test (given at the start, kept across restarts), or null.
    private readonly Func<int, IReadOnlyDictionary<string, string>?>? memberEnvironment;

    private KvdbCluster(int size, IReadOnlyList<string> extraArgs, ClusterTransport? transport = null, bool withNetwork = false, Func<int, IReadOnlyDictionary<string, string>?>? environment = null)
    {
        this.transport = transport ?? ClusterTransport.Plain;
        var ports = FreePorts.Take(size * 2);
        raftPorts = [.. ports[..size]];
        httpPorts = [.. ports[size..]];
        this.extraArgs = extraArgs;
        root = Directory.CreateTempSubdirectory("kvdb-test-").FullName;
        if (withNetwork)
        {
            Network = new PeerNetwork();
            for (var id = 1; id <= size; id++)
                AddProxy(id);
        }

        memberEnvironment = environment;
        Members = [.. Enumerable.Range(1, size).Select(id => new KvdbProcess(id, ArgsFor(id), environment?.Invoke(id)))];
        Client = NewClient(TimeSpan.FromSeconds(30));
    }

    /// <summary>The proxies on every member-to-member link; null unless started with <see cref="StartWithNetworkAsync"/>.</summary>
    public PeerNetwork? Network { get; }

    /// <summary>The members, index i holding member id i+1.</summary>
    public List<KvdbProcess> Members { get; }

    /// <summary>A client for the members' HTTP APIs.</summary>
    public HttpClient Client { get; }

    /// <summary>The comma-separated --cluster list.</summary>
    public string ClusterList => string.Join(',', raftPorts.Select(p => $"{transport.PeerScheme}://127.0.0.1:{p}"));

    /// <summary>Starts <paramref name="size"/> members and waits until they serve a linearizable write and read.</summary>
    public static Task<KvdbCluster> StartAsync(int size = 3, params string[] extraArgs) => StartAsync(ClusterTransport.Plain, size, extraArgs);

    /// <summary>As <see cref="StartAsync(int, string[])"/>, with every member-to-member link through a <see cref="PeerNetwork"/> proxy (plain HTTP).</summary>
    public static Task<KvdbCluster> StartWithNetworkAsync(int size = 3, params string[] extraArgs)
        => StartAsync(new KvdbCluster(size, extraArgs, withNetwork: true));

    /// <summary>
    /// As <see cref="StartWithNetworkAsync(int, string[])"/>, with <paramref name="environment"/>
    /// (member id → variables, or null) set for each member's process and kept across its restarts
    /// (a skewed clock through libfaketime, for one).
    /// </summary>
    public static Task<KvdbCluster> StartWithNetworkAsync(int size, Func<int, IReadOnlyDictionary<string, string>?> environment, params string[] extraArgs)
        => StartAsync(new KvdbCluster(size, extraArgs, withNetwork: true, environment: environment));

    /// <summary>As <see cref="StartAsync(int, string[])"/>, with the ports protected as <paramref name="transport"/> says.</summary>
    public static Task<KvdbCluster> StartAsync(ClusterTransport transport, int size = 3, params string[] extraArgs)
        => StartAsync(new KvdbCluster(size, extraArgs, transport));

    private static async Task<KvdbCluster> StartAsync(KvdbCluster cluster)
    {
        try
        {
            foreach (var member in cluster.Members)
                member.Start();
            await cluster.WaitUntilServingAsync();
            await cluster.WaitForClusterVersionAsync(1, static unavailable => unavailable.Count == 0, "every member to advertise its release (no unavailable commands)");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The data directory of member <paramref name="id"/>.</summary>
    public string DataDir(int id) => Path.Combine(root, $"node-{id}");

    /// <summary>The base URL of member <paramref name="id"/>'s HTTP API.</summary>
    public Uri Url(int id) => new($"{transport.ClientScheme}://127.0.0.1:{httpPorts[id - 1]}/");

    /// <summary>A new client for the members' HTTP APIs, set up for the cluster's transport.</summary>
    public HttpClient NewClient(TimeSpan timeout) => new(transport.ClientHandler()) { Timeout = timeout };

    /// <summary>The URL of <paramref name="key"/> on member <paramref name="id"/> (the key is percent-encoded).</summary>
    public Uri KeyUrl(int id, string key, string? query = null)
        => new(Url(id), Uri.EscapeDataString(key) + (query is null ? "" : "?" + query));

    public KvdbProcess Member(int id) => Members[id - 1];

    /// <summary>Keeps a stopped process's output for <see cref="Describe"/> after it was replaced.</summary>
    public void Retire(KvdbProcess process) => retired.Add(process);

    /// <summary>The Raft peer URL of member <paramref name="id"/>.</summary>
    public string PeerUrl(int id) => $"{transport.PeerScheme}://127.0.0.1:{raftPorts[id - 1]}";

    private string[] ArgsFor(int id, params string[] more) =>
    [
        "--id", id.ToString(CultureInfo.InvariantCulture), "--cluster", ClusterList, "--port", httpPorts[id - 1].ToString(CultureInfo.InvariantCulture),
        "--data-dir", DataDir(id), .. NetworkArgs(id), .. transport.MemberArgs(id), .. extraArgs, .. more,
    ];

    // Behind a proxy: listen on the real peer port, connect to peers from the member's own address.
    private string[] NetworkArgs(int id) => Network is null
        ? []
        : ["--peer-listen", $"127.0.0.1:{realPeerPorts[id - 1]}", "--peer-source-address", PeerNetwork.SourceAddress(id).ToString()];

    private void AddProxy(int id)
    {
        realPeerPorts.Add(FreePorts.Take(1)[0]);
        Network!.Add(id, raftPorts[id - 1], realPeerPorts[id - 1]);
    }

    /// <summary>Reserves ports for member <paramref name="Members.Count"/>+1 and returns its id; it is not started.</summary>
    public int ReserveMember()
    {
        var ports = FreePorts.Take(2);
        raftPorts.Add(ports[0]);
        httpPorts.Add(ports[1]);
        var id = raftPorts.Count;
        if (Network is not null)
            AddProxy(id);
        Members.Add(new KvdbProcess(id, ArgsFor(id, "--join")));
        return id;
    }

    /// <summary>Restarts member <paramref name="id"/> with the same arguments and data directory, and <paramref name="more"/> after them.</summary>
    public void Restart(int id, params string[] more) => Restart(id, null, more);

    /// <summary>
    /// As <see cref="Restart(int, string[])"/>, with <paramref name="environment"/> set for the new
    /// process only; null gives it the variables the cluster was started with for this member
    /// (none unless <see cref="StartWithNetworkAsync(int, Func{int, IReadOnlyDictionary{string, string}?}, string[])"/> named some).
    /// </summary>
    public void Restart(int id, IReadOnlyDictionary<string, string>? environment, params string[] more)
    {
        var old = Members[id - 1];
        if (old.IsRunning)
            throw new InvalidOperationException($"Member {id} is still running.");
        retired.Add(old);
        Members[id - 1] = new KvdbProcess(id, [.. old.Args, .. more], environment ?? memberEnvironment?.Invoke(id));
        Members[id - 1].Start();
    }

    /// <summary>
    /// Polls member <paramref name="id"/>'s <c>/v1/status</c> until its <c>unavailableCommands</c>
    /// (command name → ids of the members that cannot apply it) satisfy <paramref name="condition"/>;
    /// returns them. A member that answers without the field (auth on, an older release) counts as none.
    /// </summary>
    public async Task<Dictionary<string, int[]>> WaitForClusterVersionAsync(int id, Func<Dictionary<string, int[]>, bool> condition, string what, TimeSpan? timeout = null)
        => await Eventually.ValueAsync(
            async () =>
            {
                using var response = await Client.GetAsync(new Uri(Url(id), "v1/status"));
                var unavailable = new Dictionary<string, int[]>();
                if (!response.IsSuccessStatusCode)
                    return unavailable;
                using var status = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                if (status.RootElement.TryGetProperty("unavailableCommands", out var list))
                {
                    foreach (var command in list.EnumerateArray())
                        unavailable[command.GetProperty("command").GetString()!] = [.. command.GetProperty("members").EnumerateArray().Select(static m => m.GetInt32())];
                }

                return unavailable;
            },
            condition,
            $"member {id}'s status to show {what}",
            timeout ?? Patience,
            Describe,
            retryOn: Unreachable,
            interval: PollInterval);

    public async Task<HttpResponseMessage> PutAsync(int id, string key, string value)
        => await Client.PutAsync(KeyUrl(id, key), new StringContent(value, Encoding.UTF8));

    /// <summary>Reads <paramref name="key"/> on member <paramref name="id"/>; null when 404.</summary>
    public async Task<string?> GetAsync(int id, string key, string? query = null)
    {
        using var response = await Client.GetAsync(KeyUrl(id, key, query));
        if (response.StatusCode is HttpStatusCode.NotFound)
            return null;
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"GET {key} on member {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}", null, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>How long the waits below give a cluster by default: elections and catch-up on a busy 2-core machine.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>How often the waits below ask the members again.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    // The members' JSON (camelCase names), read the way ASP.NET writes it; one instance, so its metadata is built once.
    private static readonly System.Text.Json.JsonSerializerOptions WebJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>What a member that is not listening yet, stopped, paused or busy makes a request end with.</summary>
    private static bool Unreachable(Exception e) => e is HttpRequestException or TaskCanceledException;

    /// <summary>
    /// Writes a value, retrying 503s (no leader yet) and refused connections (not listening yet)
    /// until <paramref name="timeout"/>; any other answer fails at once.
    /// </summary>
    public async Task PutWithRetryAsync(int id, string key, string value, TimeSpan? timeout = null)
        => await Eventually.ValueAsync(
            async () =>
            {
                using var response = await PutAsync(id, key, value);
                if (response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.ServiceUnavailable)
                    return response.StatusCode;
                throw new HttpRequestException($"PUT {key} on member {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}\n{Describe()}", null, response.StatusCode);
            },
            status => status is HttpStatusCode.NoContent,
            $"member {id} to take PUT {key}",
            timeout ?? Patience,
            Describe,
            retryOn: e => e is HttpRequestException { StatusCode: null },
            interval: PollInterval);

    /// <summary>
    /// Polls until member <paramref name="id"/> answers <paramref name="expected"/> (null: 404) for <paramref name="key"/>;
    /// throws with the last answer once <paramref name="timeout"/> has passed.
    /// </summary>
    public async Task WaitForValueAsync(int id, string key, string? expected, TimeSpan? timeout = null, string? query = null)
        => await Eventually.ValueAsync(
            () => GetAsync(id, key, query),
            seen => seen == expected,
            $"member {id} to answer {(expected is null ? "404" : $"\"{expected}\"")} for {key}{(query is null ? "" : "?" + query)}",
            timeout ?? Patience,
            Describe,
            retryOn: e => e is HttpRequestException,
            interval: PollInterval);

    /// <summary>Waits until every running member is listening and a write through member 1 is readable everywhere.</summary>
    public async Task WaitUntilServingAsync()
    {
        var probe = $"probe-{Guid.NewGuid():N}";
        var first = Members.First(m => m.IsRunning).Id;
        await PutWithRetryAsync(first, probe, "ok");
        foreach (var member in Members.Where(m => m.IsRunning))
            await WaitForValueAsync(member.Id, probe, "ok");
    }

    /// <summary>The output of every member, for assertion messages.</summary>
    public string Describe()
        => string.Join('\n', retired.Concat(Members).Select(m => $"--- member {m.Id} (running: {m.IsRunning}, exit: {m.ExitCode})\n{m.Output}"));

    /// <summary>
    /// Polls <c>GET /v1/status</c> on the running members until one of them says it is the leader
    /// (and, with <paramref name="except"/>, that it is not that member); returns its id.
    /// </summary>
    public async Task<int> WaitForLeaderAsync(TimeSpan? timeout = null, int? except = null)
    {
        using var quick = NewClient(TimeSpan.FromSeconds(2));
        var roles = await Eventually.ValueAsync(
            async () =>
            {
                var seen = new List<(int Member, string Role)>();
                foreach (var member in Members.Where(m => m.IsRunning && m.Id != except))
                {
                    try
                    {
                        using var status = System.Text.Json.JsonDocument.Parse(await quick.GetStringAsync(new Uri(Url(member.Id), "v1/status")));
                        seen.Add((member.Id, status.RootElement.GetProperty("role").GetString()!));
                        if (seen[^1].Role == "leader")
                            break;
                    }
                    catch (Exception e) when (Unreachable(e))
                    {
                        // Not listening yet, or paused.
                        seen.Add((member.Id, "unreachable"));
                    }
                }

                return seen;
            },
            seen => seen.Any(s => s.Role == "leader"),
            "a leader among the running members" + (except is null ? "" : $" other than member {except}"),
            timeout ?? Patience,
            Describe,
            retryOn: Unreachable,
            interval: PollInterval);
        return roles.First(s => s.Role == "leader").Member;
    }

    /// <summary>Polls until member <paramref name="id"/> answers a linearizable read (it has a leader and has caught up).</summary>
    public async Task WaitUntilMemberServesAsync(int id, TimeSpan? timeout = null)
    {
        using var quick = NewClient(TimeSpan.FromSeconds(3));
        await Eventually.ValueAsync(
            async () =>
            {
                using var response = await quick.GetAsync(KeyUrl(id, "serving-probe"));
                return response.StatusCode;
            },
            status => status is HttpStatusCode.OK or HttpStatusCode.NotFound,
            $"member {id} to serve a linearizable read",
            timeout ?? Patience,
            Describe,
            retryOn: Unreachable,
            interval: PollInterval);
    }

    /// <summary>The members as <c>GET /v1/members</c> on member <paramref name="id"/> shows them.</summary>
    public async Task<List<MemberInfo>> MembersAsync(int id)
    {
        var json = await Client.GetStringAsync(new Uri(Url(id), "v1/members"));
        return System.Text.Json.JsonSerializer.Deserialize<List<MemberInfo>>(json, WebJson)!;
    }

    /// <summary>Polls <c>GET /v1/members</c> on member <paramref name="id"/> until <paramref name="condition"/> holds.</summary>
    public async Task<List<MemberInfo>> WaitForMembersAsync(int id, Func<List<MemberInfo>, bool> condition, TimeSpan? timeout = null)
        => await Eventually.ValueAsync(
            () => MembersAsync(id),
            condition,
            $"the members as member {id} lists them to match",
            timeout ?? Patience,
            Describe,
            retryOn: e => e is HttpRequestException,
            interval: TimeSpan.FromMilliseconds(100));

    public async ValueTask DisposeAsync()
    {
        foreach (var member in Members)
            await member.DisposeAsync();
        foreach (var member in retired)
            await member.DisposeAsync();
        Client.Dispose();
        if (Network is not null)
            await Network.DisposeAsync();
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
