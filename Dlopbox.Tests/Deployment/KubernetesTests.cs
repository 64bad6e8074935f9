using System.Text.RegularExpressions;
using Dlopbox.Embedded;

namespace Dlopbox.Tests.Deployment;

/// <summary>deploy/k8s renders with kubectl's kustomize into the resources the README (Kubernetes) describes.</summary>
public sealed partial class KubernetesTests
{
    [SkippableFact]
    public void Kustomization_renders_every_resource()
    {
        // kubectl is on CI's machine image but in no Debian repository, so a developer may not have it.
        Skip.IfNot(Tool.Exists("kubectl"), "kubectl is not installed: deploy/k8s was not rendered (install kubectl, which carries kustomize)");
        var result = Tool.Run("kubectl", ["kustomize", "deploy/k8s"]);
        Assert.True(result.ExitCode == 0, $"kubectl kustomize deploy/k8s failed: {result.Output}");

        var resources = ResourceRegex().Matches(result.Stdout)
            .Select(m => $"{m.Groups["kind"].Value}/{m.Groups["name"].Value}")
            .ToHashSet();
        string[] expected =
        [
            "Namespace/dlopbox",
            "StatefulSet/rabbit", "Service/rabbit",
            "StatefulSet/mongo", "Service/mongo",
            "Deployment/interface", "Service/interface",
            "Deployment/master", "PersistentVolumeClaim/master-data",
            "Deployment/nginx", "Service/nginx",
            "StatefulSet/client",
        ];
        foreach (var resource in expected)
            Assert.Contains(resource, resources);
        // Generated with a content hash in the name, and every reference follows it.
        Assert.Contains(resources, r => r.StartsWith("Secret/dlopbox-secrets-", StringComparison.Ordinal));
        Assert.Contains(resources, r => r.StartsWith("ConfigMap/rabbit-entrypoint-", StringComparison.Ordinal));
        Assert.Contains(resources, r => r.StartsWith("ConfigMap/mongo-init-", StringComparison.Ordinal));
        Assert.Contains(resources, r => r.StartsWith("ConfigMap/dlopbox-config-", StringComparison.Ordinal));
        Assert.DoesNotMatch(@"name: dlopbox-secrets\s*$", result.Stdout);
        Assert.DoesNotMatch(@"name: dlopbox-config\s*$", result.Stdout);
        // The status page's file links and the clients' report token reach the services.
        Assert.Contains("name: Interface__Live__FilesUrl", result.Stdout);
        Assert.Equal(2, Regex.Matches(result.Stdout, @"key: DLOPBOX_CLIENT_TOKEN").Count);

        // master and nginx mount the same claim; nginx only reads it.
        Assert.Equal(2, Regex.Matches(result.Stdout, @"claimName: master-data").Count);
    }

    [Fact]
    public void Secrets_file_holds_no_password()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoLayout.Root, "deploy", "k8s", "secrets.env"));
        var secrets = lines.Where(l => l.Contains('=') && Regex.IsMatch(l[..l.IndexOf('=')], "(PASSWORD|TOKEN)$")).ToList();
        Assert.NotEmpty(secrets);
        Assert.All(secrets, l => Assert.EndsWith("=", l));
    }

    // kubectl prints each resource as "kind: X\nmetadata:\n  ...name: Y" with keys in sorted order.
    [GeneratedRegex(@"^kind: (?<kind>\w+)\nmetadata:\n(?:  .*\n)*?  name: (?<name>[\w.-]+)", RegexOptions.Multiline)]
    private static partial Regex ResourceRegex();
}
