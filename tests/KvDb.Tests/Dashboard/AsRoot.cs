// Auth set-up calls of the dashboard tests: sent as root ("root"/"rootpw", the user they create
// first), which also works before auth is on.
using System.Net.Http.Headers;
using System.Text;

namespace KvDb.Tests.Dashboard;

internal static class AsRoot
{
    /// <summary>Creates a role that grants <paramref name="prefix"/> read access, root, a user with that role, and enables auth.</summary>
    public static async Task EnableAuthWithReaderAsync(HttpClient client, Uri member, string role, string prefix, string user, string password)
    {
        await PostAsync(client, member, "v1/auth/roles", $$"""{"name": "{{role}}", "permissions": [{"prefix": "{{prefix}}", "access": "read"}]}""");
        await PostAsync(client, member, "v1/auth/users", """{"name": "root", "password": "rootpw"}""");
        await PostAsync(client, member, "v1/auth/users", $$"""{"name": "{{user}}", "password": "{{password}}", "roles": ["{{role}}"]}""");
        await PostAsync(client, member, "v1/auth/enable", "");
    }

    private static async Task PostAsync(HttpClient client, Uri member, string path, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(member, path)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("root:rootpw")));
        using var response = await client.SendAsync(request);
        response.IsSuccessStatusCode.Should().BeTrue($"POST {path}: {await response.Content.ReadAsStringAsync()}");
    }
}
