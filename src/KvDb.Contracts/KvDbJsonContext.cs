// The one source-generated JsonSerializerContext of kvdb's JSON API: every record of this
// contract, so the server, the client and the CLI read and write the same shapes without
// reflection.
// Invariants:
//  - Names are camelCase, as kvdb has always written them; matching is case-sensitive and
//    numbers are numbers (a "7" where a number belongs is refused), as the server's hand-written
//    parsers were.
//  - Nulls are written unless a field says otherwise ([JsonIgnore(WhenWritingNull)] on the fields
//    a document leaves out when they do not apply), so each record decides per field.
//  - Bytes are base64 text (Base64Converter: never escaped, read leniently as the server did).
//  - Escaping is the writer's: the default JavaScriptEncoder unless the caller passes its own
//    Utf8JsonWriter (the server's canonical minimal escaping, the CLI's relaxed one).
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvDb.Contracts;

/// <summary>Source-generated metadata for every document of kvdb's JSON API.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(Base64Converter)])]
[JsonSerializable(typeof(RangeItemJson))]
[JsonSerializable(typeof(RangePageJson))]
[JsonSerializable(typeof(WatchEventJson))]
[JsonSerializable(typeof(KeyChangeJson))]
[JsonSerializable(typeof(KeyHistoryJson))]
[JsonSerializable(typeof(TxnRequestJson))]
[JsonSerializable(typeof(TxnCompareJson))]
[JsonSerializable(typeof(TxnOpJson))]
[JsonSerializable(typeof(TxnPutJson))]
[JsonSerializable(typeof(TxnDeleteJson))]
[JsonSerializable(typeof(TxnGetJson))]
[JsonSerializable(typeof(TxnRangeJson))]
[JsonSerializable(typeof(TxnResponseJson))]
[JsonSerializable(typeof(TxnResultJson))]
[JsonSerializable(typeof(TxnPutResultJson))]
[JsonSerializable(typeof(TxnDeleteResultJson))]
[JsonSerializable(typeof(TxnRangeResultJson))]
[JsonSerializable(typeof(TxnItemJson))]
[JsonSerializable(typeof(LeaseGrantRequestJson))]
[JsonSerializable(typeof(LeaseGrantedJson))]
[JsonSerializable(typeof(LeaseTimeJson))]
[JsonSerializable(typeof(LeaseInfoJson))]
[JsonSerializable(typeof(LeaseSummaryJson))]
[JsonSerializable(typeof(LeaseListJson))]
[JsonSerializable(typeof(LeaseClockJson))]
[JsonSerializable(typeof(LockHeldJson))]
[JsonSerializable(typeof(LockInfoJson))]
[JsonSerializable(typeof(CampaignRequestJson))]
[JsonSerializable(typeof(ElectedJson))]
[JsonSerializable(typeof(ElectionLeaderJson))]
[JsonSerializable(typeof(ElectionObservationJson))]
[JsonSerializable(typeof(NoLeaderJson))]
[JsonSerializable(typeof(ProclaimRequestJson))]
[JsonSerializable(typeof(ProclaimedJson))]
[JsonSerializable(typeof(ResignRequestJson))]
[JsonSerializable(typeof(ListAppendRequestJson))]
[JsonSerializable(typeof(ListAppendItemJson))]
[JsonSerializable(typeof(ListAppendedJson))]
[JsonSerializable(typeof(ListItemJson))]
[JsonSerializable(typeof(ListPageJson))]
[JsonSerializable(typeof(KeyspaceJson))]
[JsonSerializable(typeof(KeyspaceListJson))]
[JsonSerializable(typeof(KeyspaceCreatedJson))]
[JsonSerializable(typeof(ListInfoJson))]
[JsonSerializable(typeof(ListListJson))]
[JsonSerializable(typeof(MemberJson))]
[JsonSerializable(typeof(List<MemberJson>))]
[JsonSerializable(typeof(AddMemberRequestJson))]
[JsonSerializable(typeof(MemberJoiningJson))]
[JsonSerializable(typeof(StatusJson))]
[JsonSerializable(typeof(ActivityJson))]
[JsonSerializable(typeof(BackupStatusJson))]
[JsonSerializable(typeof(AuthStatusJson))]
[JsonSerializable(typeof(UserRequestJson))]
[JsonSerializable(typeof(TokenJson))]
[JsonSerializable(typeof(UserJson))]
[JsonSerializable(typeof(UserListJson))]
[JsonSerializable(typeof(PasswordRequestJson))]
[JsonSerializable(typeof(RoleGrantRequestJson))]
[JsonSerializable(typeof(RoleJson))]
[JsonSerializable(typeof(RoleListJson))]
[JsonSerializable(typeof(ProblemJson))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
public sealed partial class KvDbJsonContext : JsonSerializerContext;
