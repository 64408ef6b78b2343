using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Autopack.Tests.Deploy;

/// <summary>
/// YAML to JSON by the YAML 1.2 core schema, as GitHub reads workflow files: plain true/false, null, integers and
/// floats get their JSON types, everything else (including a key named <c>on</c>, which YAML 1.1 readers turn into
/// true) stays a string.
/// </summary>
public static partial class YamlToJson
{
    public static JsonNode? Convert(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, Convert(c.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain } s => Plain(s.Value ?? ""),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => throw new NotSupportedException(node.NodeType.ToString()),
    };

    private static JsonNode? Plain(string value) => value switch
    {
        "" or "~" or "null" or "Null" or "NULL" => null,
        "true" or "True" or "TRUE" => JsonValue.Create(true),
        "false" or "False" or "FALSE" => JsonValue.Create(false),
        _ when Integer().IsMatch(value) => JsonValue.Create(long.Parse(value, CultureInfo.InvariantCulture)),
        _ when Float().IsMatch(value) => JsonValue.Create(double.Parse(value, CultureInfo.InvariantCulture)),
        _ => JsonValue.Create(value),
    };

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}
