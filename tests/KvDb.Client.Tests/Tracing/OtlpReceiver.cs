// An OTLP/HTTP collector for tests: a FakeMember that takes POST /v1/traces (protobuf, maybe
// gzipped) and keeps every span it was sent, read with a minimal protobuf reader that knows
// only the fields of ExportTraceServiceRequest the tests look at (resource attributes, scope
// name, span ids, parent, name, kind, attributes).
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace KvDb.Client.Tests.Tracing;

/// <summary>One exported span: which member (service.instance.id) and scope sent it, and its own fields.</summary>
public sealed record OtlpSpan(string Instance, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, IReadOnlyDictionary<string, string> Attributes)
{
    public override string ToString() => $"{Name} [{Instance}] {SpanId} <- {ParentSpanId}";
}

public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly FakeMember server;

    private OtlpReceiver(FakeMember server) => this.server = server;

    public ConcurrentQueue<OtlpSpan> Spans { get; } = new();

    public Uri Url => server.Url;

    public static async Task<OtlpReceiver> StartAsync()
    {
        OtlpReceiver? receiver = null;
        var server = await FakeMember.StartAsync(async context =>
        {
            using var body = new MemoryStream();
            var input = context.Request.Headers.ContentEncoding == "gzip" ? new GZipStream(context.Request.Body, CompressionMode.Decompress) : context.Request.Body;
            await input.CopyToAsync(body);
            if (context.Request.Path == "/v1/traces")
            {
                foreach (var span in Read(body.ToArray()))
                    receiver!.Spans.Enqueue(span);
            }

            context.Response.ContentType = "application/x-protobuf";
            context.Response.StatusCode = StatusCodes.Status200OK;
        });
        receiver = new OtlpReceiver(server);
        return receiver;
    }

    public ValueTask DisposeAsync() => server.DisposeAsync();

    // ExportTraceServiceRequest: 1 resource_spans.
    private static List<OtlpSpan> Read(byte[] request)
    {
        var spans = new List<OtlpSpan>();
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1)
                continue;
            var instance = "";
            var scopeSpansList = new List<byte[]>();
            foreach (var (rsField, rsValue) in Fields(resourceSpans))
            {
                if (rsField == 1)
                    instance = Attributes(rsValue, 1).GetValueOrDefault("service.instance.id", "");
                else if (rsField == 2)
                    scopeSpansList.Add(rsValue);
            }

            foreach (var scopeSpans in scopeSpansList)
            {
                var scope = "";
                foreach (var (ssField, ssValue) in Fields(scopeSpans))
                {
                    if (ssField == 1)
                        scope = Encoding.UTF8.GetString(Fields(ssValue).FirstOrDefault(f => f.Field == 1).Value ?? []);
                    else if (ssField == 2)
                        spans.Add(Span(instance, scope, ssValue));
                }
            }
        }

        return spans;
    }

    // Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes.
    private static OtlpSpan Span(string instance, string scope, byte[] span)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        var kind = 0;
        foreach (var (field, value) in Fields(span))
        {
            switch (field)
            {
                case 1:
                    traceId = Convert.ToHexStringLower(value);
                    break;
                case 2:
                    spanId = Convert.ToHexStringLower(value);
                    break;
                case 4:
                    parent = Convert.ToHexStringLower(value);
                    break;
                case 5:
                    name = Encoding.UTF8.GetString(value);
                    break;
                case 6:
                    kind = (int)Varint(value);
                    break;
            }
        }

        return new OtlpSpan(instance, scope, traceId, spanId, parent, name, kind, Attributes(span, 9));
    }

    // KeyValue: 1 key, 2 AnyValue (1 string, 2 bool, 3 int, 4 double); values as text.
    private static Dictionary<string, string> Attributes(byte[] message, int field)
    {
        var attributes = new Dictionary<string, string>();
        foreach (var (f, keyValue) in Fields(message))
        {
            if (f != field)
                continue;
            string key = "", text = "";
            foreach (var (kvField, kvValue) in Fields(keyValue))
            {
                if (kvField == 1)
                {
                    key = Encoding.UTF8.GetString(kvValue);
                    continue;
                }

                foreach (var (anyField, anyValue) in Fields(kvValue))
                {
                    text = anyField switch
                    {
                        1 => Encoding.UTF8.GetString(anyValue),
                        2 => Varint(anyValue) != 0 ? "true" : "false",
                        3 => Varint(anyValue).ToString(CultureInfo.InvariantCulture),
                        4 => BitConverter.ToDouble(anyValue).ToString(CultureInfo.InvariantCulture),
                        _ => Convert.ToHexStringLower(anyValue),
                    };
                }
            }

            attributes[key] = text;
        }

        return attributes;
    }

    // The fields of a message, each as its bytes: a varint's own bytes, fixed ones, or a length-delimited body.
    private static IEnumerable<(int Field, byte[] Value)> Fields(byte[] message)
    {
        var at = 0;
        while (at < message.Length)
        {
            var tag = ReadVarint(message, ref at);
            var field = (int)(tag >> 3);
            var start = at;
            switch (tag & 7)
            {
                case 0:
                    ReadVarint(message, ref at);
                    yield return (field, message[start..at]);
                    break;
                case 1:
                    at += 8;
                    yield return (field, message[start..at]);
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref at);
                    yield return (field, message[at..(at + length)]);
                    at += length;
                    break;
                case 5:
                    at += 4;
                    yield return (field, message[start..at]);
                    break;
                default:
                    throw new InvalidDataException($"wire type {tag & 7} at {start}");
            }
        }
    }

    private static long Varint(byte[] bytes)
    {
        var at = 0;
        return (long)ReadVarint(bytes, ref at);
    }

    private static ulong ReadVarint(byte[] bytes, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
    }
}
