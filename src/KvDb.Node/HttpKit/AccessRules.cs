// Who may call an endpoint once auth is enabled. Every endpoint carries exactly one rule (the
// route table test fails for one without); AuthGate enforces it, and an endpoint without a
// rule is treated as root-only, so a forgotten rule fails closed.
//  - Open: anyone (probes, metrics when --open-probes is on, the token endpoint).
//  - AnyUser: any authenticated user (status, member list).
//  - Keys: any authenticated user; the handler then checks the user's permission on the keys
//    it touches (KeyAccess), since only it knows them (S2 names its key in the body).
//  - Root: users with the root role (membership changes, the raw log, users and roles).
//  - Peer: member-to-member endpoints; the peer port authenticates those, not users.
namespace KvDb.Node.HttpKit;

/// <summary>The kinds of access rule.</summary>
public enum AccessRule
{
    /// <summary>Anyone, with or without credentials.</summary>
    Open,

    /// <summary>Anyone that is open while --open-probes is on (the default), else any user.</summary>
    Probe,

    /// <summary>Any authenticated user.</summary>
    AnyUser,

    /// <summary>Any authenticated user, whose permissions the handler checks per key.</summary>
    Keys,

    /// <summary>Users with the root role.</summary>
    Root,

    /// <summary>Members only (served on the peer port).</summary>
    Peer,
}

/// <summary>The access rule of an endpoint, as endpoint metadata.</summary>
/// <param name="Rule">The rule.</param>
public sealed record AccessRuleMetadata(AccessRule Rule);

/// <summary>Attaches access rules to endpoints.</summary>
public static class AccessRuleExtensions
{
    /// <summary>Sets the endpoint's access rule.</summary>
    public static TBuilder Allow<TBuilder>(this TBuilder builder, AccessRule rule)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new AccessRuleMetadata(rule));
}
