#!/bin/sh
# Writes a kustomize overlay that deploys deploy/k8s with the images REGISTRY/autopack-*:TAG (the tags CI pushes:
# main, sha-<commit>) and the Ingress for HOST. Used by .github/workflows/deploy.yml and by hand (deploy/README.md).
# Usage: deploy/release-overlay.sh REGISTRY TAG HOST DIR     then: kubectl apply -k DIR
set -eu
usage="usage: release-overlay.sh REGISTRY TAG HOST DIR"
registry="${1:?$usage}"; tag="${2:?$usage}"; host="${3:?$usage}"; dir="${4:?$usage}"
case "$tag" in
  main|sha-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]*) ;;
  *) echo "release-overlay: TAG must be main or sha-<commit>, not '$tag'" >&2; exit 2 ;;
esac
k8s="$(cd "$(dirname "$0")/k8s" && pwd)"
mkdir -p "$dir"
base="$(realpath --relative-to="$dir" "$k8s")"
# The images are the ones the generated manifests name, so a new service needs no change here.
images="$(grep -ho 'image: autopack-[a-z]*' "$k8s"/*.yaml | sed 's/image: //' | sort -u)"
{
  echo "# Written by deploy/release-overlay.sh: deploy/k8s with $registry/autopack-*:$tag, served at $host."
  echo "apiVersion: kustomize.config.k8s.io/v1beta1"
  echo "kind: Kustomization"
  echo "resources:"
  echo "  - $base"
  echo "images:"
  for image in $images; do echo "  - { name: $image, newName: $registry/$image, newTag: $tag }"; done
  echo "patches:"
  echo "  - target: { kind: Ingress, name: autopack }"
  echo "    patch: |"
  echo "      - { op: replace, path: /spec/tls/0/hosts/0, value: $host }"
  echo "      - { op: replace, path: /spec/rules/0/host, value: $host }"
} > "$dir/kustomization.yaml"
echo "release-overlay: wrote $dir/kustomization.yaml ($tag)"
