// Account calls of /v1/auth: changing a password and rotating the token signing key.
// Invariants: passwords travel only in the request body (never in a URL or a log line); a
// refusal is a KvException with the member's problem details (400 without the current password,
// 403 when it is wrong or the caller may not, 429 past the failed-login limit).
using System.Net;
using KvDb.Contracts;

namespace KvDb.Client;

public sealed partial class KvClient
{
    /// <summary>
    /// Sets <paramref name="user"/>'s password without the current one: what root does for another
    /// user. Changing one's own password needs the current one: use
    /// <see cref="ChangePasswordAsync(string, string, string, CancellationToken)"/>.
    /// Every token of <paramref name="user"/> stops working.
    /// </summary>
    /// <exception cref="KvUnavailableException">No member could take the request in time.</exception>
    /// <exception cref="KvException">kvdb refused it (400 a bad password or your own without the current one, 403, 404 no such user).</exception>
    public ValueTask ChangePasswordAsync(string user, string newPassword, CancellationToken token = default)
        => ChangePasswordCoreAsync(user, newPassword, null, token);

    /// <summary>
    /// Changes <paramref name="user"/>'s password, proving the current one (needed when the caller
    /// changes its own, root included). Every token of <paramref name="user"/> stops working.
    /// </summary>
    /// <exception cref="KvUnavailableException">No member could take the request in time.</exception>
    /// <exception cref="KvException">kvdb refused it (403 a wrong current password, 429 too many wrong ones, 404 no such user).</exception>
    public ValueTask ChangePasswordAsync(string user, string newPassword, string currentPassword, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(currentPassword);
        return ChangePasswordCoreAsync(user, newPassword, currentPassword, token);
    }

    /// <summary>Replaces the cluster's token signing key (root only): every token issued before stops working, this client's own too.</summary>
    /// <exception cref="KvUnavailableException">No member could take the request in time.</exception>
    /// <exception cref="KvException">kvdb refused it (403 without the root role).</exception>
    public async ValueTask RotateSigningKeyAsync(CancellationToken token = default)
    {
        ThrowIfDisposed();
        await pipeline.SendAsync(
            pipeline.Begin("auth-rotate-key"),
            baseUri => new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, "v1/auth/rotate-key")),
            NoContentOrThrowAsync,
            token).ConfigureAwait(false);
    }

    private async ValueTask ChangePasswordCoreAsync(string user, string newPassword, string? currentPassword, CancellationToken token)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentException.ThrowIfNullOrEmpty(newPassword);
        ThrowIfDisposed();
        var body = ContractJson.ToUtf8Bytes(new PasswordRequestJson { Password = newPassword, CurrentPassword = currentPassword }, KvDbJsonContext.Default.PasswordRequestJson);
        await pipeline.SendAsync(
            pipeline.Begin("auth-change-password"),
            baseUri => new HttpRequestMessage(HttpMethod.Put, new Uri(baseUri, "v1/auth/users/" + Uri.EscapeDataString(user) + "/password")) { Content = JsonContent(body) },
            NoContentOrThrowAsync,
            token).ConfigureAwait(false);
    }

    private static async ValueTask<bool> NoContentOrThrowAsync(HttpResponseMessage response, CancellationToken token)
    {
        if (response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.OK)
            return true;
        throw (await ProblemAnswer.ReadAsync(response, token).ConfigureAwait(false)).ToException(null);
    }
}
