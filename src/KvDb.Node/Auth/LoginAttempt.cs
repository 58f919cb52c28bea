// The name a password login claimed, as a request feature: POST /v1/auth/token sets it once it
// has read the body, so that whatever records the outcome (the audit log) can name who tried
// without reading the body again. Never the password.
namespace KvDb.Node.Auth;

/// <summary>The user name a login on this request claimed.</summary>
/// <param name="Name">The claimed name (not necessarily a user that exists).</param>
public sealed record LoginAttempt(string Name);
