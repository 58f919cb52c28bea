// Endpoint metadata that only the OpenAPI document reads: the methods of an endpoint mapped for
// any method (the handler answers 405 itself for the rest) and the query parameters a handler
// reads from HttpContext rather than binding them. Neither changes routing or binding.
namespace KvDb.Node.OpenApi;

/// <summary>The methods to describe for an endpoint that is mapped without an HTTP method.</summary>
/// <param name="Methods">The methods its handler serves.</param>
public sealed record DescribedMethodsMetadata(IReadOnlyList<string> Methods);

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

    /// <summary>Documents a query parameter the handler reads from the request.</summary>
    public static TBuilder WithQuery<TBuilder>(this TBuilder builder, string name, string description)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new QueryParameterMetadata(name, description, []));

    /// <summary>Documents a query parameter that only <paramref name="methods"/> read.</summary>
    public static TBuilder WithQuery<TBuilder>(this TBuilder builder, string name, string description, params string[] methods)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new QueryParameterMetadata(name, description, methods));
}
