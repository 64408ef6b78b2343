namespace Autopack.AppHost.Publishing;

/// <summary>
/// The Kubernetes way in: an Ingress with TLS in front of the nginx front door, which then serves plain HTTP
/// (Autopack.Web/nginx.conf). cert-manager, when installed, issues its certificate from the annotation.
/// </summary>
public static class KubernetesIngress
{
    public static string Render(string web) => $$"""
        # The way in: TLS for autopack.example.com (set your host in the overlay, deploy/README.md), terminated by the
        # ingress controller, to the front door. With cert-manager installed, the cluster-issuer annotation makes it
        # issue and renew the autopack-tls certificate (a ClusterIssuer named letsencrypt); without it, create the
        # autopack-tls TLS secret yourself (kubectl -n autopack create secret tls autopack-tls --cert=... --key=...).
        # The ingress-nginx annotations keep live event streams unbuffered and open for an hour.
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: autopack
          namespace: {{KubernetesPublisher.Ns}}
          annotations:
            cert-manager.io/cluster-issuer: letsencrypt
            nginx.ingress.kubernetes.io/ssl-redirect: "true"
            nginx.ingress.kubernetes.io/proxy-buffering: "off"
            nginx.ingress.kubernetes.io/proxy-read-timeout: "3600"
            nginx.ingress.kubernetes.io/proxy-body-size: 1m
        spec:
          ingressClassName: nginx
          tls:
            - hosts: [autopack.example.com]
              secretName: autopack-tls
          rules:
            - host: autopack.example.com
              http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend: { service: { name: {{web}}, port: { name: http } } }
        """ + "\n";
}
