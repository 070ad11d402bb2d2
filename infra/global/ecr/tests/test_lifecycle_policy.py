"""The ECR lifecycle policy of infra/global/ecr, evaluated on image histories.

terraform test (ecr.tftest.hcl) checks the policy's shape; this checks what it
does: the policy Terraform renders (terraform console on a copy of the root,
local backend, no credentials) is run through a model of ECR's documented
evaluation, and the images an environment runs or can roll back to must
survive. No AWS API evaluates a policy offline (moto stores policies without
running them), so the model is checked first against the outcome AWS
documents for its own multi-rule example.

Run: python3 -m unittest infra/global/ecr/tests/test_lifecycle_policy.py -v
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(ROOT)))
DAY = 86400


def render_policy(**tfvars):
    """Policy JSON of infra/global/ecr for these variables (terraform console)."""
    work = tempfile.mkdtemp(prefix="ecr-policy.")
    try:
        for name in os.listdir(ROOT):
            if name.endswith(".tf"):
                shutil.copy(os.path.join(ROOT, name), work)
        # The root's S3 backend needs a bucket; evaluating needs none.
        with open(os.path.join(work, "backend_override.tf"), "w") as f:
            f.write('terraform {\n  backend "local" {}\n}\n')
        env_sh = os.path.join(REPO, "scripts", "tf-env.sh")
        args = " ".join(
            "-var %s" % _shell_quote("%s=%s" % (k, v)) for k, v in tfvars.items()
        )
        script = (
            '. "%s" && export TF_DATA_DIR="%s/.terraform" && '
            'terraform -chdir="%s" init -input=false -no-color >/dev/null && '
            "echo local.lifecycle_policy | "
            'terraform -chdir="%s" console -no-color %s'
        ) % (env_sh, work, work, work, args)
        out = subprocess.run(
            ["bash", "-c", script],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if out.returncode != 0:
            raise AssertionError("terraform console failed: %s" % out.stderr[-2000:])
        # The console prints the string as a quoted literal: JSON-compatible.
        literal = out.stdout.strip().splitlines()[-1]
        return json.loads(json.loads(literal))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _shell_quote(s):
    return "'" + s.replace("'", "'\"'\"'") + "'"


def _matches(selection, image):
    status = selection["tagStatus"]
    if status == "untagged":
        return not image["tags"]
    if status == "any":
        return True
    # tagged: every prefix of the list must start some tag of the image.
    return all(
        any(t.startswith(p) for t in image["tags"])
        for p in selection["tagPrefixList"]
    )


def _marked(selection, matching, now):
    """Images of 'matching' that this rule alone would expire."""
    if selection["countType"] == "imageCountMoreThan":
        newest_first = sorted(matching, key=lambda i: -i["pushed"])
        return newest_first[selection["countNumber"] :]
    assert selection["countType"] == "sinceImagePushed"
    age = selection["countNumber"] * DAY
    return [i for i in matching if now - i["pushed"] > age]


def evaluate(policy, images, now):
    """Digests ECR would expire, per its documented evaluation rules.

    Rules run in rulePriority order; each marks, among the images its tag
    selection matches, those beyond its count or age. An image that a rule
    of higher priority matched cannot be expired by a later rule (AWS,
    "Lifecycle policy evaluation rules"), so a rule that keeps an image
    protects it from every rule after it.
    """
    seen, expired = set(), set()
    for rule in sorted(policy["rules"], key=lambda r: r["rulePriority"]):
        matching = [i for i in images if _matches(rule["selection"], i)]
        for image in _marked(rule["selection"], matching, now):
            if image["digest"] not in seen:
                expired.add(image["digest"])
        seen.update(i["digest"] for i in matching)
    return expired


class History:
    """A repository's life: pushes (one per commit) and deploys (tags)."""

    def __init__(self):
        self.images, self.now, self.deploys = {}, 0, 0

    def push(self, name):
        self.now += 3600
        self.images[name] = {"digest": name, "tags": [name], "pushed": self.now}

    def deploy(self, env, name):
        # scripts/deploy/tag-image.sh: <env>-<UTC time>, a new tag each time.
        self.now += 60
        self.deploys += 1
        self.images[name]["tags"].append("%s-%014d" % (env, self.deploys))

    def expired(self, policy):
        return evaluate(policy, list(self.images.values()), self.now)


class MultiArchHistory(History):
    """Pushes as scripts/image/publish.sh makes them: per commit, one manifest
    per architecture, then the image index that references them. ECR applies
    its rules to each manifest separately (a tag on the index protects none
    of its platform manifests: AWS containers-roadmap #1466), so each is an
    image of its own here, pushed a second before the index.

    tag_children: publish.sh and tag-image.sh give each platform manifest the
    index's tag plus `-<arch>` (False: the old podman push, left untagged,
    and deploy tags on the index only).
    """

    ARCHES = ("amd64", "arm64")

    def __init__(self, tag_children=True):
        super().__init__()
        self.tag_children = tag_children

    def push(self, name):
        super().push(name)
        for i, arch in enumerate(self.ARCHES):
            tags = ["%s-%s" % (name, arch)] if self.tag_children else []
            pushed = self.images[name]["pushed"] - len(self.ARCHES) + i
            self.images["%s/%s" % (name, arch)] = {
                "digest": "%s/%s" % (name, arch), "tags": tags, "pushed": pushed
            }

    def deploy(self, env, name):
        super().deploy(env, name)
        if self.tag_children:
            tag = self.images[name]["tags"][-1]
            for arch in self.ARCHES:
                self.images["%s/%s" % (name, arch)]["tags"].append(
                    "%s-%s" % (tag, arch)
                )

    def expired_builds(self, policy):
        """Commits some manifest of which (index or platform) is expired."""
        return {d.split("/")[0] for d in self.expired(policy)}


def _all_manifests(*names):
    return {
        "%s%s" % (n, suffix)
        for n in names
        for suffix in [""] + ["/" + a for a in MultiArchHistory.ARCHES]
    }


def _prod_behind_staging(h):
    """prod runs c005 (rollback c004) while staging gets 80 newer deploys."""
    for n in range(1, 86):
        h.push("c%03d" % n)
        h.deploy("staging", "c%03d" % n)
        if n in (4, 5):
            h.deploy("prod", "c%03d" % n)


def _staging_behind_builds(h):
    """staging ran s001 then s002; then 70 builds that nobody deploys."""
    for name in ("s001", "s002"):
        h.push(name)
        h.deploy("staging", name)
    for n in range(1, 71):
        h.push("b%03d" % n)


class ModelMatchesAwsExample(unittest.TestCase):
    def test_aws_multiple_rules_example_a(self):
        # AWS docs, "Examples of lifecycle policies", multiple rules, A:
        # only image A is expired; B is kept because rule 1 (prod) kept it.
        policy = {
            "rules": [
                {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPrefixList": ["prod"], "countType": "imageCountMoreThan", "countNumber": 1}},
                {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPrefixList": ["beta"], "countType": "imageCountMoreThan", "countNumber": 1}},
            ]
        }
        images = [
            {"digest": "A", "tags": ["beta-1", "prod-1"], "pushed": 0 * DAY},
            {"digest": "B", "tags": ["beta-2", "prod-2"], "pushed": 1 * DAY},
            {"digest": "C", "tags": ["beta-3"], "pushed": 2 * DAY},
        ]
        self.assertEqual(evaluate(policy, images, 10 * DAY), {"A"})


class ShippedPolicy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.policy = render_policy()

    def test_prod_keeps_its_old_image_while_staging_moves_on(self):
        # prod runs c005 (and could roll back to c004) while 80 newer commits
        # are built and deployed to staging: more than the 50 the old
        # shared rule kept.
        h = MultiArchHistory()
        for n in range(1, 86):
            h.push("c%03d" % n)
            h.deploy("staging", "c%03d" % n)
            if n in (4, 5):
                h.deploy("prod", "c%03d" % n)
        expired = h.expired(self.policy)
        self.assertNotIn("c005", expired, "the image prod runs expired")
        self.assertNotIn("c004", expired, "prod's rollback target expired")
        for n in range(76, 86):
            self.assertNotIn("c%03d" % n, expired, "staging's recent images must stay")
        self.assertIn("c001", expired, "old images nobody runs must still expire")

    def test_staging_rollback_target_survives_many_builds(self):
        # 70 builds never deployed (CI publishes each commit) push staging's
        # image out of any shared count.
        h = MultiArchHistory()
        h.push("s001")
        h.deploy("staging", "s001")
        h.push("s002")
        h.deploy("staging", "s002")
        for n in range(1, 71):
            h.push("b%03d" % n)
        expired = h.expired(self.policy)
        self.assertFalse({"s001", "s002"} & expired, expired)

    def test_prod_rolled_back_one_deploy(self):
        h = MultiArchHistory()
        for n in range(1, 30):
            h.push("p%03d" % n)
            h.deploy("staging", "p%03d" % n)
            h.deploy("prod", "p%03d" % n)
        h.deploy("prod", "p028")  # roll back to the one before
        for n in range(30, 90):
            h.push("p%03d" % n)
            h.deploy("staging", "p%03d" % n)
        expired = h.expired(self.policy)
        self.assertFalse({"p028", "p029"} & expired, expired)

    def test_documented_limit_rollback_beyond_the_window(self):
        # infra/global/ecr/README.md: counting is by push time, so a rollback
        # to an image older than 10 newer prod deploys is not protected.
        h = MultiArchHistory()
        for n in range(1, 13):
            h.push("r%03d" % n)
            h.deploy("prod", "r%03d" % n)
        h.deploy("prod", "r001")
        for n in range(13, 70):
            h.push("x%03d" % n)
        self.assertIn("r001", h.expired(self.policy))
        self.assertNotIn("r012", h.expired(self.policy))


class MultiArchitectureImages(unittest.TestCase):
    """Issue 10, items 4 and 6: the platform manifests of what an environment
    runs must survive as the index does, or its tasks cannot pull."""

    @classmethod
    def setUpClass(cls):
        cls.policy = render_policy()

    def test_prod_platform_manifests_survive_staging_deploys(self):
        h = MultiArchHistory()
        _prod_behind_staging(h)
        h.now += 8 * DAY  # past untagged_expiry_days: prod still runs c005
        expired = h.expired(self.policy)
        self.assertFalse(_all_manifests("c004", "c005") & expired, sorted(expired))
        recent = ["c%03d" % n for n in range(76, 86)]
        self.assertFalse(_all_manifests(*recent) & expired, "staging's last 10 deploys")
        self.assertTrue(_all_manifests("c001") <= expired, "old builds expire whole")

    def test_staging_platform_manifests_survive_undeployed_builds(self):
        h = MultiArchHistory()
        _staging_behind_builds(h)
        h.now += 8 * DAY
        expired = h.expired(self.policy)
        self.assertFalse(_all_manifests("s001", "s002") & expired, sorted(expired))
        # The catch-all counts builds, not manifests: the newest 50 stay whole.
        newest = ["b%03d" % n for n in range(21, 71)]
        self.assertFalse(_all_manifests(*newest) & expired, "the newest 50 builds")

    def test_deploys_expire_whole_beyond_the_window(self):
        # Ten deploys means ten deploys: the 11th-newest prod deploy is gone,
        # index and platforms together, once no other rule keeps it.
        h = MultiArchHistory()
        for n in range(1, 12):
            h.push("r%03d" % n)
            h.deploy("prod", "r%03d" % n)
        for n in range(12, 70):
            h.push("x%03d" % n)
        h.now += 8 * DAY
        expired = h.expired(self.policy)
        kept = ["r%03d" % n for n in range(2, 12)]
        self.assertFalse(_all_manifests(*kept) & expired, sorted(expired))
        self.assertTrue(_all_manifests("r001") <= expired, sorted(expired))

    def test_untagged_platform_manifests_would_expire(self):
        # Why the tags are needed: with the platform manifests untagged (the
        # old podman push) and deploy tags on the index alone, the running
        # image's platform manifests expire with the untagged rule.
        h = MultiArchHistory(tag_children=False)
        _prod_behind_staging(h)
        h.now += 8 * DAY
        self.assertIn("c005", h.expired_builds(self.policy))


class CustomEnvironments(unittest.TestCase):
    def test_each_listed_environment_keeps_its_images(self):
        policy = render_policy(
            environments='["prod","staging","dev"]', keep_deployed_images="3"
        )
        h = MultiArchHistory()
        h.push("d001")
        h.deploy("dev", "d001")
        for n in range(1, 60):
            h.push("n%03d" % n)
        self.assertNotIn("d001", h.expired(policy))


if __name__ == "__main__":
    unittest.main()
