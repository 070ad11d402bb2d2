# shellcheck shell=bash
# Workflows: every .github/workflows/*.yml passes @action-validator/cli (the
# schema of GitHub Actions, job references, globs), then the pipeline's own
# rules are checked (tests before deploys, one build promoted by digest,
# OIDC roles from repository variables, concurrency, least permissions).
# The validator comes from npm (scripts/ci-tools/package-lock.json) and is
# installed once per machine into the cache; later runs are offline.
set -euo pipefail
scripts/image/deps.sh >/dev/null 2>&1 || true
command -v npm >/dev/null || { echo "80-workflows: npm is missing (apt-get install nodejs npm)" >&2; exit 1; }

cache=${S3JSON_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/s3json}
lock_sum=$(cat scripts/ci-tools/package.json scripts/ci-tools/package-lock.json | sha256sum | cut -c1-16)
tools=$cache/ci-tools-$lock_sum
validator=$tools/node_modules/.bin/action-validator
if [ ! -x "$validator" ]; then
  rm -rf "$tools.tmp"
  mkdir -p "$tools.tmp"
  cp scripts/ci-tools/package.json scripts/ci-tools/package-lock.json "$tools.tmp/"
  (cd "$tools.tmp" && timeout 300 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  rm -rf "$tools"
  mv "$tools.tmp" "$tools"
fi

. tests/lib/lib.sh # ok, ko and the TAP plan
for wf in .github/workflows/*.yml; do
  if out=$("$validator" "$wf" 2>&1); then
    ok "action-validator $wf"
  else
    ko "action-validator $wf"; printf '%s\n' "$out" | sed 's/^/# /'
  fi
done

# The pipeline's rules, read from the YAML.
rules=0
py_out=$(python3 - <<'EOF'
import glob, os, re, sys
import yaml

ok = fail = 0
def check(cond, what):
    global ok, fail
    if cond:
        ok += 1; print(f"ok    {what}")
    else:
        fail += 1; print(f"FAIL  {what}")

def load(path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads `on:` as True
    return doc

wfs = {os.path.basename(p): load(p) for p in sorted(glob.glob(".github/workflows/*.yml"))}
text = {os.path.basename(p): open(p).read() for p in glob.glob(".github/workflows/*.yml")}

for name, wf in wfs.items():
    check("permissions" in wf and wf["permissions"] == {"contents": "read"},
          f"{name}: default token permissions are contents: read")
    callable_only = set(wf["on"]) == {"workflow_call"}
    check(callable_only or "concurrency" in wf, f"{name}: has a concurrency group")
    for job_id, job in wf["jobs"].items():
        for step in job.get("steps", []):
            uses = step.get("uses", "")
            if uses and not uses.startswith("./"):
                check(re.search(r"@(v\d+(\.\d+)*|[0-9a-f]{40})$", uses) is not None,
                      f"{name}/{job_id}: {uses} is pinned to a version")
        perms = job.get("permissions", {})
        if "id-token" in perms:
            check("role-to-assume" in str(job.get("steps")),
                  f"{name}/{job_id}: id-token only where a role is assumed")
    check(":latest" not in text[name] and "image_tag=latest" not in text[name],
          f"{name}: never deploys `latest`")
    check("pull_request_target" not in wf["on"], f"{name}: no pull_request_target")

pr, dep, test = wfs.get("pr.yml"), wfs.get("deploy.yml"), wfs.get("test.yml")
check(pr is not None and dep is not None and test is not None, "pr.yml, deploy.yml and test.yml exist")
if pr and dep and test:
    check(set(test["on"]) == {"workflow_call"}, "test.yml is reusable only")
    tsteps = str(test["jobs"])
    check("bash .ci/run" in tsteps, "test.yml runs .ci/run (make test)")
    check("make tf-check" in tsteps, "test.yml runs terraform fmt/validate/test")
    check(pr["jobs"]["test"].get("uses") == "./.github/workflows/test.yml", "pr.yml runs the tests")
    check(pr["concurrency"].get("cancel-in-progress") is True, "pr.yml: a new push cancels the old run")
    plan = pr["jobs"]["plan"]
    check(plan.get("needs") == "test", "pr.yml: plan after the tests")
    check("vars.AWS_PLAN_ROLE_ARN" in str(plan["steps"]), "pr.yml: plan role ARN from repository variables")
    check(plan["permissions"].get("pull-requests") == "write" and "createComment" in str(plan["steps"]),
          "pr.yml: plan posted to the pull request")
    check("make plan" in str(plan["steps"]), "pr.yml: plan through `make plan`")
    check("head.repo.full_name == github.repository" in plan.get("if", ""), "pr.yml: no OIDC attempt for forks")

    j = dep["jobs"]
    check(set(dep["on"]) >= {"push", "workflow_dispatch"} and dep["on"]["push"]["branches"] == ["main"],
          "deploy.yml: runs on main (and by hand for rollbacks)")
    check(dep["concurrency"] == {"group": "deploy", "cancel-in-progress": False},
          "deploy.yml: deployments queue and are never cancelled")
    check(j["test"].get("uses") == "./.github/workflows/test.yml" and j["publish"]["needs"] == "test",
          "deploy.yml: tests before the build")
    builds = [k for k, v in j.items() if "deploy.sh publish" in str(v.get("steps"))]
    check(builds == ["publish"], "deploy.yml: the image is built and pushed once (publish)")
    check(j["staging"]["environment"]["name"] == "staging" and "publish" in j["staging"]["needs"],
          "deploy.yml: staging deploys what publish pushed")
    check("needs.publish.outputs.image_digest" in str(j["staging"]["steps"]),
          "deploy.yml: staging deploys by digest")
    check(j["production"]["environment"]["name"] == "production" and j["production"]["needs"] == "staging",
          "deploy.yml: production after staging, behind the production environment")
    check("needs.staging.outputs.image_digest" in str(j["production"]["steps"])
          and "--image-digest" in str(j["production"]["steps"]),
          "deploy.yml: production promotes the digest staging ran")
    check(all(j[k].get("concurrency", {}).get("cancel-in-progress") is False for k in ("staging", "production")),
          "deploy.yml: one deployment per environment at a time")
    check(all("vars.AWS_DEPLOY_ROLE_ARN" in str(j[k]["steps"]) for k in ("publish", "staging", "production")),
          "deploy.yml: deploy role ARN from repository variables")
    for script in ("scripts/deploy/deploy.sh", ".ci/run"):
        check(os.path.exists(script), f"{script} exists")

print(f"policy: {ok} ok, {fail} failed")
sys.exit(1 if fail else 0)
EOF
) || rules=$?
rule_fails=0
while IFS= read -r line; do
  case $line in
    "ok    "*) ok "${line#ok    }" ;;
    "FAIL  "*) ko "${line#FAIL  }"; rule_fails=$((rule_fails + 1)) ;;
    *) echo "# $line" ;;
  esac
done <<<"$py_out"
if [ "$rules" -ne 0 ] && [ "$rule_fails" -eq 0 ]; then
  ko "the workflow rules checker itself failed (exit $rules)"
fi
done_testing
