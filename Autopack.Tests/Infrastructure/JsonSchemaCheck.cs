using System.Diagnostics;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// Validates JSON against a Draft 7 schema with the reference JSON Schema implementation (Python's jsonschema, from
/// Debian's python3-jsonschema). NJsonSchema misreads boolean subschemas and oneOf/additionalProperties mixes that the
/// vendored schemas (Aspire manifest, GitHub workflow) use.
/// </summary>
public static class JsonSchemaCheck
{
    public static async Task<(bool Ok, string Report)> ValidateAsync(string schemaPath, string json)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, json);
        const string script = "import json,sys,jsonschema\n" +
            "s=json.load(open(sys.argv[1])); m=json.load(open(sys.argv[2]))\n" +
            "errs=list(jsonschema.Draft7Validator(s).iter_errors(m))\n" +
            "[print(list(e.absolute_path), e.message[:300]) for e in errs]\n" +
            "sys.exit(1 if errs else 0)\n";
        try
        {
            foreach (var python in new[] { "python3", "/usr/bin/python3" })
            {
                var psi = new ProcessStartInfo(python, ["-c", script, schemaPath, file]) { RedirectStandardOutput = true, RedirectStandardError = true };
                using var p = Process.Start(psi)!;
                var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
                await p.WaitForExitAsync();
                if (output.Contains("No module named 'jsonschema'")) continue;
                return (p.ExitCode == 0, output);
            }
        }
        finally { File.Delete(file); }
        throw new InvalidOperationException("Python's jsonschema is missing: apt-get install python3-jsonschema (.ci/run does).");
    }
}
