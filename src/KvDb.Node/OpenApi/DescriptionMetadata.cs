// Endpoint metadata that only the OpenAPI document reads: the methods of an endpoint mapped for
// any method (the handler answers 405 itself for the rest) with each method's own responses,
// and the query parameters and bodies a handler reads from HttpContext rather than binding them.
// None of it changes routing or binding (ASP.NET Core's Accepts would: routing answers 415 to
// any other content type).
namespace KvDb.Node.OpenApi;

/// <summary>The methods to describe for an endpoint that is mapped without an HTTP method.</summary>
/// <param name="Methods">The methods its handler serves.</param>
public sealed record DescribedMethodsMetadata(IReadOnlyList<string> Methods);

/// <summary>A response of one method of an endpoint described with <see cref="DescribedMethodsMetadata"/>.</summary>
/// <param name="Method">The method.</param>
/// <param name="StatusCode">The status.</param>
/// <param name="Type">The body's type, or null for none.</param>
/// <param name="ContentTypes">The body's content types.</param>
public sealed record MethodResponseMetadata(string Method, int StatusCode, Type? Type, IReadOnlyList<string> ContentTypes);

/// <summary>
/// The body a handler reads itself (from the request stream). Unlike ASP.NET Core's Accepts, which
/// routing enforces (other content types get 415), this only describes it.
/// </summary>
/// <param name="Type">What the body is, for its schema.</param>
/// <param name="ContentTypes">The content types the handler reads.</param>
public sealed record RequestBodyMetadata(Type Type, IReadOnlyList<string> ContentTypes);

/// <summary>A query parameter the handler reads itself.</summary>
/// <param name="Name">The parameter's name.</param>
/// <param name="Description">What it does, with its default.</param>
/// <param name="Methods">The methods that read it; empty for all.</param>
public sealed record QueryParameterMetadata(string Name, string Description, IReadOnlyList<string> Methods);

/// <summary>Attaches description-only metadata to endpoints.</summary>
public static class DescriptionMetadataExtensions
{
    /// <summary>Describes an endpoint mapped for any method (app.Map) as serving <paramref name="methods"/>.</summary>
    public static TBuilder DescribeMethods<TBuilder>(this TBuilder builder, params string[] methods)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new DescribedMethodsMetadata(methods));

    /// <summary>Documents a response that only <paramref name="method"/> of an endpoint mapped for any method gives (its successes).</summary>
    public static TBuilder DescribeResponse<TBuilder>(this TBuilder builder, string method, int statusCode, Type? type = null, params string[] contentTypes)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new MethodResponseMetadata(method, statusCode, type, contentTypes));

    /// <summary>Documents the body the handler reads, without restricting content types as Accepts would.</summary>
    public static TBuilder DescribeBody<TBuilder>(this TBuilder builder, Type body, params string[] contentTypes)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new RequestBodyMetadata(body, contentTypes));

    /// <summary>Documents a query parameter the handler reads from the request.</summary>
    public static TBuilder WithQuery<TBuilder>(this TBuilder builder, string name, string description)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new QueryParameterMetadata(name, description, []));

    /// <summary>Documents a query parameter that only <paramref name="methods"/> read.</summary>
    public static TBuilder WithQuery<TBuilder>(this TBuilder builder, string name, string description, params string[] methods)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new QueryParameterMetadata(name, description, methods));
}
