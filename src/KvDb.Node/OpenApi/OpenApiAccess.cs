// Who may read the OpenAPI document and the API reference page (--openapi-access).
// Invariants:
//  - open (the default) serves them to anyone, like /metrics with --open-probes: they describe
//    the API, not data, and a member's routes are the same for everyone.
//  - authenticated gives them the AnyUser rule: once auth is enabled, anonymous callers get 401
//    problem details like on any other protected endpoint (with auth off everything is open).
//  - off maps neither: both answer as any unknown path would.
using KvDb.Node.HttpKit;

namespace KvDb.Node.OpenApi;

/// <summary>Who may read <c>/openapi/v1.json</c> and <c>/scalar</c>.</summary>
public enum OpenApiAccess
{
    /// <summary>Anyone, with or without credentials.</summary>
    Open,

    /// <summary>Any authenticated user once auth is enabled.</summary>
    Authenticated,

    /// <summary>Not served.</summary>
    Off,
}

/// <summary>Parsing of <see cref="OpenApiAccess"/>.</summary>
public static class OpenApiAccessValues
{
    /// <summary>The values --help lists.</summary>
    public const string Names = "open, authenticated or off";

    /// <summary>Parses a flag value; throws a one-line <see cref="FormatException"/> for anything else.</summary>
    public static OpenApiAccess Parse(string text) => text.ToLowerInvariant() switch
    {
        "open" => OpenApiAccess.Open,
        "authenticated" => OpenApiAccess.Authenticated,
        "off" => OpenApiAccess.Off,
        _ => throw new FormatException($"--openapi-access '{text}' is not one of {Names}"),
    };

    /// <summary>The access rule the documentation endpoints carry, or null when they are not served.</summary>
    public static AccessRule? Rule(this OpenApiAccess access) => access switch
    {
        OpenApiAccess.Open => AccessRule.Open,
        OpenApiAccess.Authenticated => AccessRule.AnyUser,
        _ => null,
    };
}
