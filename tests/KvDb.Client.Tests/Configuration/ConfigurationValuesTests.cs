using System.Text;
using KvDb.Extensions.Configuration;

namespace KvDb.Client.Tests.Configuration;

public sealed class ConfigurationValuesTests
{
    private static Dictionary<string, string?> Build(params (string Key, string Value)[] entries)
        => ConfigurationValues.Build("config/app/", entries.Select(e => KeyValuePair.Create(e.Key, Encoding.UTF8.GetBytes(e.Value))));

    [Fact]
    public void Keys_under_the_prefix_become_configuration_keys_with_colons()
    {
        var data = Build(("config/app/Greeting", "hello"), ("config/app/Logging/LogLevel/Default", "Debug"), ("config/other/x", "no"));
        data.Should().BeEquivalentTo(new Dictionary<string, string?> { ["Greeting"] = "hello", ["Logging:LogLevel:Default"] = "Debug" });
        data["greeting"].Should().Be("hello", "configuration keys are case-insensitive");
    }

    [Fact]
    public void Json_objects_and_arrays_are_flattened_and_other_values_stay_text()
    {
        var data = Build(
            ("config/app/", """{"Name": "root doc"}"""),
            ("config/app/Db", """{"Host": "pg", "Port": 5432, "Tls": true, "Replicas": ["a", "b"], "Extra": null}"""),
            ("config/app/Quoted", "\"text\""),
            ("config/app/Broken", "{not json"));
        data.Should().BeEquivalentTo(new Dictionary<string, string?>
        {
            ["Name"] = "root doc",
            ["Db:Host"] = "pg",
            ["Db:Port"] = "5432",
            ["Db:Tls"] = "True",
            ["Db:Replicas:0"] = "a",
            ["Db:Replicas:1"] = "b",
            ["Db:Extra"] = null,
            ["Quoted"] = "\"text\"",
            ["Broken"] = "{not json",
        });
    }
}
