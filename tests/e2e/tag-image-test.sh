#!/usr/bin/env bash
# tag-image-test.sh -- scripts/deploy/tag-image.sh against a real registry
# (Debian's docker-registry, 127.0.0.1) and the emulator's ECR (moto), as
# `make test` step 74-deploy-tag runs it.
#
#   registry: a single-image manifest and a multi-architecture OCI index get
#     an `<env>-<UTC time>` tag that serves the very same digest and media
#     type; the index's platform manifests get `<env>-<time>-<arch>` (ECR's
#     lifecycle rules judge each manifest by its own tags), a single image
#     none; bad and unknown digests are refused with a message
#   ECR: the deployed image gets `prod-<time>` next to its commit tag (the
#     repository is IMMUTABLE, as infra/global/ecr makes it); a second deploy
#     adds a second tag; an index's amd64 and arm64 manifests get
#     `prod-<time>-<arch>` next to their `<commit>-<arch>`; an unknown digest
#     is refused
# Reports TAP: a line per check and the plan (tests/lib/lib.sh).
# Usage: tests/e2e/tag-image-test.sh     Env: TAG_TEST_DIR (default build/tag-image-test)
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo" || exit 1
. tests/lib/lib.sh # ok, ko, eq, skip_all and the TAP plan
work=${TAG_TEST_DIR:-$repo/build/tag-image-test}
rm -rf "$work"
mkdir -p "$work"

needs docker-registry curl jq aws python3
needs_python moto

# yes LABEL WHY COMMAND...: ok LABEL if COMMAND succeeds, else FAIL WHY
yes() {
  local label=$1 why=$2
  shift 2
  if "$@"; then ok "$label"; else ko "$why"; fi
}
tag_re='^[0-9]{14}$'
# is_env_tag ENV TAG: TAG is ENV-<14 digits>
is_env_tag() { [ "${2%%-[0-9]*}" = "$1" ] && [[ ${2#"$1"-} =~ $tag_re ]]; }
# refused LABEL PATTERN COMMAND...: the command fails, saying PATTERN
refused() {
  local label=$1 pattern=$2 out
  shift 2
  if out=$(timeout 60 "$@" 2>&1); then
    ko "$label: succeeded ($out)"
  elif grep -q -- "$pattern" <<<"$out"; then
    ok "$label: $(grep -m1 -o -- "$pattern.*" <<<"$out" | cut -c1-80)"
  else
    ko "$label: no '$pattern' in: $out"
  fi
}

reg_pid="" emu_dir=$work/emu
on_exit() {
  if [ -n "$reg_pid" ]; then kill -TERM "$reg_pid" 2>/dev/null; wait "$reg_pid" 2>/dev/null; fi
  [ -f "$emu_dir/emu.pid" ] && tests/emulator/emulator.sh stop "$emu_dir" >/dev/null 2>&1
}
trap on_exit EXIT

################################################################################
# A registry (what `make deploy`'s e2e pushes to)
################################################################################

. tests/e2e/test-registry.sh
registry_start "$work" || true # checked below
port=$reg_port
base=http://127.0.0.1:$port/v2/s3json

sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
# push_blob FILE: monolithic blob upload
push_blob() {
  local loc
  loc=$(curl -fsS -X POST -D - -o /dev/null "$base/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: *//p')
  case $loc in http*) ;; *) loc=http://127.0.0.1:$port$loc ;; esac
  case $loc in *\?*) loc=$loc\& ;; *) loc=$loc\? ;; esac
  curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$1" "${loc}digest=$(sha "$1")" -o /dev/null
}
# push_manifest FILE TYPE REF
push_manifest() { curl -fsS -X PUT -H "Content-Type: $2" --data-binary "@$1" "$base/manifests/$3" -o /dev/null; }
# served REF: "<digest> <media type>" as the registry serves REF
served() {
  curl -fsS -o /dev/null -D - -H 'Accept: application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.v2+json' \
    "$base/manifests/$1" | tr -d '\r' |
    awk 'tolower($1) == "docker-content-digest:" { d = $2 } tolower($1) == "content-type:" { t = $2 } END { print d, t }'
}
# status REF: the HTTP status of a manifest request for REF
status() { curl -sS -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "$base/manifests/$1"; }

if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
  printf '{}' >"$work/config.json"
  printf 'layer' >"$work/layer.bin"
  push_blob "$work/config.json" && push_blob "$work/layer.bin"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":5,"digest":"%s"}]}' \
    "$(sha "$work/config.json")" "$(sha "$work/layer.bin")" >"$work/manifest.json"
  push_manifest "$work/manifest.json" application/vnd.docker.distribution.manifest.v2+json abc123def456
  image=$(sha "$work/manifest.json")
  # The arm64 image: another layer, so another manifest.
  printf 'arm64 layer' >"$work/layer-arm64.bin"
  push_blob "$work/layer-arm64.bin"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":11,"digest":"%s"}]}' \
    "$(sha "$work/config.json")" "$(sha "$work/layer-arm64.bin")" >"$work/manifest-arm64.json"
  push_manifest "$work/manifest-arm64.json" application/vnd.docker.distribution.manifest.v2+json "$(sha "$work/manifest-arm64.json")"
  image_arm64=$(sha "$work/manifest-arm64.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":%s,"digest":"%s","platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":%s,"digest":"%s","platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}' \
    "$(wc -c <"$work/manifest.json" | tr -d ' ')" "$image" \
    "$(wc -c <"$work/manifest-arm64.json" | tr -d ' ')" "$image_arm64" >"$work/index.json"
  push_manifest "$work/index.json" application/vnd.oci.image.index.v1+json abc123def456-multi
  index=$(sha "$work/index.json")

  export S3JSON_REGISTRY_OVERRIDE=127.0.0.1:$port S3JSON_INSECURE_REGISTRIES=127.0.0.1:$port
  if tag=$(timeout 60 scripts/deploy/tag-image.sh staging s3json "$image" 2>"$work/err"); then
    yes "registry: tagged $tag" "registry: tag '$tag' is not staging-<14 digits>" is_env_tag staging "$tag"
    eq "registry: $tag serves the deployed digest and type" "$image application/vnd.docker.distribution.manifest.v2+json" "$(served "$tag")"
    eq "registry: a single image gets no $tag-<arch> tags" 404 "$(status "$tag-amd64")"
  else
    ko "registry: tag-image.sh failed: $(cat "$work/err")"
  fi
  if tag=$(timeout 60 scripts/deploy/tag-image.sh prod s3json "$index" 2>"$work/err"); then
    eq "registry: a multi-architecture index keeps its digest and type under $tag" \
      "$index application/vnd.oci.image.index.v1+json" "$(served "$tag")"
    eq "registry: its amd64 manifest is tagged $tag-amd64" \
      "$image application/vnd.docker.distribution.manifest.v2+json" "$(served "$tag-amd64")"
    eq "registry: its arm64 manifest is tagged $tag-arm64" \
      "$image_arm64 application/vnd.docker.distribution.manifest.v2+json" "$(served "$tag-arm64")"
  else
    ko "registry: tag-image.sh on an index failed: $(cat "$work/err")"
  fi
  eq "registry: the commit tag is untouched" "$image application/vnd.docker.distribution.manifest.v2+json" "$(served abc123def456)"
  refused "registry: a malformed digest" "DIGEST must be" scripts/deploy/tag-image.sh staging s3json sha256:abc
  refused "registry: an unknown digest" "no image" scripts/deploy/tag-image.sh staging s3json "sha256:$(printf '0%.0s' $(seq 1 64))"
  refused "registry: a bad environment name" "bad environment name" scripts/deploy/tag-image.sh Prod s3json "$image"
  unset S3JSON_REGISTRY_OVERRIDE S3JSON_INSECURE_REGISTRIES
else
  ko "registry did not start: $(tail -n 3 "$work/registry.log")"
fi

################################################################################
# ECR (the emulator)
################################################################################

if tests/emulator/emulator.sh start "$emu_dir" >/dev/null 2>"$work/emu.err"; then
  eval "$(tests/emulator/emulator.sh env "$emu_dir")"
  aws ecr create-repository --repository-name s3json --image-tag-mutability IMMUTABLE >/dev/null
  aws ecr put-image --repository-name s3json --image-tag abc123def456 \
    --image-manifest "$(cat "$work/manifest.json")" >/dev/null
  # The emulator's own digest (moto 5.2 does not hash the manifest as ECR does).
  digest=$(aws ecr describe-images --repository-name s3json --image-ids imageTag=abc123def456 \
    --query 'imageDetails[0].imageDigest' --output text)
  tags() {
    aws ecr describe-images --repository-name s3json --image-ids "imageDigest=$digest" --output json |
      jq -r '.imageDetails[0].imageTags | sort | join(" ")'
  }
  if t1=$(timeout 60 scripts/deploy/tag-image.sh prod s3json "$digest" 2>"$work/err"); then
    yes "ECR: tagged $t1" "ECR: tag '$t1' is not prod-<14 digits>" is_env_tag prod "$t1"
    eq "ECR: the image carries its commit tag and $t1" "abc123def456 $t1" "$(tags)"
    if t2=$(timeout 60 scripts/deploy/tag-image.sh prod s3json "$digest" 2>"$work/err"); then
      yes "ECR: a second deploy adds a second tag ($t2)" "ECR: second tag $t2 equals the first" [ "$t2" != "$t1" ]
      eq "ECR: both deploy tags on the one image" "abc123def456 $t1 $t2" "$(tags)"
    else
      ko "ECR: second tag-image.sh failed: $(cat "$work/err")"
    fi
  else
    ko "ECR: tag-image.sh failed: $(cat "$work/err")"
  fi

  # A multi-architecture image as scripts/image/publish.sh pushes it: each
  # platform manifest tagged <commit>-<arch>, then the index. Digests given
  # explicitly: they are the manifests' sha256, which the index references.
  aws ecr create-repository --repository-name s3json-multi --image-tag-mutability IMMUTABLE >/dev/null
  for a in amd64 arm64; do
    f=$work/manifest.json
    [ "$a" = arm64 ] && f=$work/manifest-arm64.json
    aws ecr put-image --repository-name s3json-multi --image-tag "abc123def456-$a" --image-digest "$(sha "$f")" \
      --image-manifest "$(cat "$f")" >/dev/null
  done
  aws ecr put-image --repository-name s3json-multi --image-tag abc123def456 --image-digest "$index" \
    --image-manifest "$(cat "$work/index.json")" \
    --image-manifest-media-type application/vnd.oci.image.index.v1+json >/dev/null
  # mtags DIGEST: the tags of DIGEST in s3json-multi
  mtags() {
    aws ecr describe-images --repository-name s3json-multi --image-ids "imageDigest=$1" --output json |
      jq -r '.imageDetails[0].imageTags | sort | join(" ")'
  }
  if t3=$(timeout 60 scripts/deploy/tag-image.sh prod s3json-multi "$index" 2>"$work/err"); then
    yes "ECR: tagged the index $t3" "ECR: tag '$t3' is not prod-<14 digits>" is_env_tag prod "$t3"
    eq "ECR: the index carries its commit tag and $t3" "abc123def456 $t3" "$(mtags "$index")"
    eq "ECR: the amd64 manifest carries $t3-amd64" "abc123def456-amd64 $t3-amd64" "$(mtags "$image")"
    eq "ECR: the arm64 manifest carries $t3-arm64" "abc123def456-arm64 $t3-arm64" "$(mtags "$image_arm64")"
  else
    ko "ECR: tag-image.sh on an index failed: $(cat "$work/err")"
  fi
  refused "ECR: an unknown digest" "no image" scripts/deploy/tag-image.sh prod s3json "sha256:$(printf '1%.0s' $(seq 1 64))"
else
  ko "emulator did not start: $(tail -n 3 "$work/emu.err")"
fi

done_testing
