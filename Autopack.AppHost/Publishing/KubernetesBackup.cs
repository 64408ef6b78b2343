namespace Autopack.AppHost.Publishing;

/// <summary>
/// The Kubernetes backup: a claim for the dumps, the <see cref="BackupScripts"/> as a ConfigMap, and the nightly
/// CronJob running backup.sh in the postgres image as its own non-root user.
/// </summary>
public static class KubernetesBackup
{
    public static string Render(string postgresImage) => KubernetesPublisher.Pvc("backups", "20Gi") + "---\n" + $$"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: autopack-backup
          namespace: {{KubernetesPublisher.Ns}}
        data:
          backup.sh: |
        {{Indent(BackupScripts.Backup, "    ")}}
          restore.sh: |
        {{Indent(BackupScripts.Restore, "    ")}}
        ---
        # pg_dump -Fc every night at 02:30 into the backups volume, keeping {{BackupScripts.DefaultRetentionDays}} days (backup.sh).
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: autopack-backup
          namespace: {{KubernetesPublisher.Ns}}
        spec:
          schedule: "30 2 * * *"
          concurrencyPolicy: Forbid
          successfulJobsHistoryLimit: 3
          failedJobsHistoryLimit: 3
          jobTemplate:
            spec:
              backoffLimit: 2
              template:
                spec:
                  restartPolicy: OnFailure
                  # The postgres image's own user; fsGroup makes the volume writable for it.
                  securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999 }
                  containers:
                    - name: backup
                      image: {{postgresImage}}
                      command: ["/bin/sh", "/backup/backup.sh"]
                      env:
                        - { name: PGHOST, value: postgres }
                        - { name: PGUSER, value: autopack }
                        - { name: PGDATABASE, value: autopack }
                        - { name: PGPASSWORD_FILE, value: /run/secrets/autopack/postgres_password }
                        - { name: BACKUP_DIR, value: /backups }
                        - { name: BACKUP_RETENTION_DAYS, value: "{{BackupScripts.DefaultRetentionDays}}" }
        {{KubernetesPublisher.Resources("backup", "              ")}}
                      volumeMounts:
                        - { name: scripts, mountPath: /backup, readOnly: true }
                        - { name: backups, mountPath: /backups }
                        - { name: secrets, mountPath: /run/secrets/autopack, readOnly: true }
                  volumes:
                    - { name: scripts, configMap: { name: autopack-backup } }
                    - { name: backups, persistentVolumeClaim: { claimName: backups } }
                    - { name: secrets, secret: { secretName: autopack-secrets } }
        """ + "\n";

    private static string Indent(string text, string indent) =>
        string.Join("\n", text.TrimEnd('\n').Split('\n').Select(l => l.Length == 0 ? "" : indent + l));
}
