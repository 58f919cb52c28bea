// What the issue-26 login and token tests share: a one-member cluster with auth on (users root,
// ann with readwrite on pub/, mal with readwrite on mal/), requests with Basic or Bearer
// credentials, tokens, and HTTP clients whose connections come from a chosen loopback address
// (Linux routes all of 127.0.0.0/8 to lo), so a test can be two clients at two addresses.
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Security;

internal sealed class AuthAttackKit : IAsyncDisposable
{
    private AuthAttackKit(KvdbCluster cluster) => Cluster = cluster;

    public KvdbCluster Cluster { get; }

    public static AuthenticationHeaderValue Basic(string user, string password)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    public static AuthenticationHeaderValue Root => Basic("root", "rootpw");

    /// <summary>A one-member cluster with users root (rootpw), ann (annpw) and mal (malpw), auth enabled.</summary>
    public static async Task<AuthAttackKit> StartAsync()
    {
        var kit = new AuthAttackKit(await KvdbCluster.StartAsync(1, "--in-memory"));
        try
        {
            await kit.ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/roles", """{"name": "pub", "permissions": [{"prefix": "pub/", "access": "readwrite"}]}""");
            await kit.ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/roles", """{"name": "mal", "permissions": [{"prefix": "mal/", "access": "readwrite"}]}""");
            await kit.ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/users", """{"name": "root", "password": "rootpw"}""");
            await kit.ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/users", """{"name": "ann", "password": "annpw", "roles": ["pub"]}""");
            await kit.ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/users", """{"name": "mal", "password": "malpw", "roles": ["mal"]}""");
            await kit.ExpectAsync(HttpStatusCode.OK, "POST", "/v1/auth/enable");
            return kit;
        }
        catch
        {
            await kit.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();

    /// <summary>An HTTP client whose connections leave from <paramref name="address"/> (127.0.0.x).</summary>
    public static HttpClient ClientFrom(string address) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, token) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { Timeout = TimeSpan.FromSeconds(60) };

    public async Task<(HttpStatusCode Status, string Body)> SendAsync(string method, string path, string? body = null, AuthenticationHeaderValue? auth = null, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(Cluster.Url(1), path.TrimStart('/')));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, body.StartsWith('{') ? "application/json" : "text/plain");
        request.Headers.Authorization = auth;
        using var response = await (client ?? Cluster.Client).SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<string> ExpectAsync(HttpStatusCode expected, string method, string path, string? body = null, AuthenticationHeaderValue? auth = null, HttpClient? client = null)
    {
        var (status, text) = await SendAsync(method, path, body, auth, client);
        status.Should().Be(expected, $"{method} {path}: {text}");
        return text;
    }

    /// <summary>POST /v1/auth/token: the status and, on 200, the token.</summary>
    public async Task<(HttpStatusCode Status, string? Token)> LoginAsync(string name, string password, HttpClient? client = null)
    {
        var (status, body) = await SendAsync("POST", "/v1/auth/token", JsonSerializer.Serialize(new { name, password }), client: client);
        return (status, status == HttpStatusCode.OK ? JsonDocument.Parse(body).RootElement.GetProperty("token").GetString() : null);
    }

    public async Task<string> TokenAsync(string name, string password)
    {
        var (status, token) = await LoginAsync(name, password);
        status.Should().Be(HttpStatusCode.OK, $"{name} logs in");
        return token!;
    }
}
