#!/usr/bin/env bash
# onboard-tenant.sh NAME PROJECT: deploy a tenant and give it its first admin.
#
#   ADMIN_EMAIL=ops@acme.example WEB_DOMAIN=recs.acme.example.com \
#     scripts/onboard-tenant.sh acme acme-recs-prod
#
# 1. adds (or checks) the tenant NAME in ENV_DIR/tenants.auto.tfvars.json:
#    project PROJECT (an existing project with billing; CREATE_PROJECT=1 lets
#    Terraform create it under the folder of terraform.tfvars), its web
#    domain WEB_DOMAIN (needed the first time), DISPLAY_NAME;
# 2. packages the functions (scripts/package-functions.sh);
# 3. terraform init and apply in ENV_DIR (every tenant of the file: a second
#    tenant is one more entry and one more run), then the web app's release
#    into the tenant's web bucket (hashed bundles immutable, index.html
#    no-cache, Terraform's config.js kept);
# 4. recs tenant bootstrap: the tenant's record and its first admin
#    ADMIN_EMAIL in the project's Firestore (idempotent);
# 5. the admin's Identity Platform account (email and password, the email
#    marked verified; an existing account is kept);
# 6. prints the web address, the DNS record to make, and the sign-in.
#
# Needs terraform, gcloud (signed in: `gcloud auth login` and
# `gcloud auth application-default login`, as an owner of PROJECT), go,
# python3 and curl. Env: ENV_DIR (default terraform/envs/example),
# AUTO_APPROVE=1 (terraform apply -auto-approve), SKIP_PACKAGE=1, SKIP_WEB=1,
# DRY_RUN=1 (update the tenants file, print the commands, run nothing).
# Running it again is safe: nothing that exists is changed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENV_DIR=${ENV_DIR:-$ROOT/terraform/envs/example}
TENANTS_FILE=$ENV_DIR/tenants.auto.tfvars.json

die() { printf 'onboard-tenant: %s\n' "$*" >&2; exit 1; }
say() { printf '\n== %s\n' "$*"; }
run() {
  if [ -n "${DRY_RUN:-}" ]; then printf 'would run:'; printf ' %q' "$@"; printf '\n'; else "$@"; fi
}

[ $# -eq 2 ] || die "usage: ADMIN_EMAIL=EMAIL [WEB_DOMAIN=DOMAIN] $0 NAME PROJECT"
NAME=$1
PROJECT=$2
[[ $NAME =~ ^[a-z][a-z0-9-]{1,38}[a-z0-9]$ ]] ||
  die "tenant name \"$NAME\": use 3-40 lower-case letters, digits and dashes, starting with a letter"
[[ $PROJECT =~ ^[a-z][a-z0-9-]{4,28}[a-z0-9]$ ]] ||
  die "project \"$PROJECT\" is not a Google Cloud project id (6-30 lower-case letters, digits and dashes)"
[ -n "${ADMIN_EMAIL:-}" ] || die "set ADMIN_EMAIL to the email of the tenant's first admin"
[[ $ADMIN_EMAIL == *@*.* ]] || die "ADMIN_EMAIL \"$ADMIN_EMAIL\" is not an email address"
[ -d "$ENV_DIR" ] || die "no Terraform environment at $ENV_DIR (set ENV_DIR)"
tools=(python3)
[ -n "${DRY_RUN:-}" ] || tools+=(terraform gcloud go curl)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || die "$tool is not installed (see docs/cloud.md, Prerequisites)"
done
if [ -z "${DRY_RUN:-}" ] && [ ! -f "$ENV_DIR/terraform.tfvars" ]; then
  die "$ENV_DIR/terraform.tfvars is missing: copy terraform.tfvars.example and fill in the billing account and folder"
fi

# 1. The tenant's entry.
say "tenant $NAME in $TENANTS_FILE"
NAME=$NAME PROJECT=$PROJECT WEB_DOMAIN=${WEB_DOMAIN:-} DISPLAY_NAME=${DISPLAY_NAME:-} \
  CREATE_PROJECT=${CREATE_PROJECT:-} python3 - "$TENANTS_FILE" <<'PY' || exit 1
import json, os, sys
path = sys.argv[1]
doc = {"tenants": {}}
if os.path.exists(path):
    with open(path) as f:
        doc = json.load(f)
tenants = doc.setdefault("tenants", {})
name, project = os.environ["NAME"], os.environ["PROJECT"]
domain, display = os.environ["WEB_DOMAIN"], os.environ["DISPLAY_NAME"]
create = os.environ["CREATE_PROJECT"] not in ("", "0", "false")
for other, t in tenants.items():
    if other != name and t.get("project_id") == project:
        sys.exit(f"onboard-tenant: project {project} already belongs to tenant {other}: each tenant needs a project of its own")
t = tenants.get(name)
if t is None:
    if not domain:
        sys.exit(f"onboard-tenant: {name} is a new tenant: set WEB_DOMAIN to the domain of its web app (e.g. recs.{name}.example.com)")
    t = tenants[name] = {"display_name": display or name, "project_id": project, "create_project": create, "web_domain": domain}
    print(f"added tenant {name}: project {project}, web app on https://{domain}/")
else:
    if t.get("project_id", project) != project:
        sys.exit(f"onboard-tenant: tenant {name} is deployed in project {t.get('project_id')}, not {project}; removing a tenant is in docs/cloud.md")
    if domain and t.get("web_domain") != domain:
        sys.exit(f"onboard-tenant: tenant {name} has the web domain {t.get('web_domain')}; change it in {path} and run again")
    print(f"tenant {name} is already in the file (project {project}); applying again")
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(doc, f, indent=2, sort_keys=True)
    f.write("\n")
os.replace(tmp, path)
PY
DOMAIN=$(NAME=$NAME python3 -c 'import json,os,sys; print(json.load(open(sys.argv[1]))["tenants"][os.environ["NAME"]]["web_domain"])' "$TENANTS_FILE")
TITLE=$(NAME=$NAME python3 -c 'import json,os,sys; t=json.load(open(sys.argv[1]))["tenants"][os.environ["NAME"]]; print(t.get("display_name") or os.environ["NAME"])' "$TENANTS_FILE")

# 2. The function source.
if [ -z "${SKIP_PACKAGE:-}" ]; then
  say "packaging the functions"
  run "$ROOT/scripts/package-functions.sh"
fi

# 3. Terraform.
say "terraform apply in $ENV_DIR"
run terraform -chdir="$ENV_DIR" init -input=false
apply=(terraform -chdir="$ENV_DIR" apply -input=false)
[ -z "${AUTO_APPROVE:-}" ] || apply+=(-auto-approve)
run "${apply[@]}"

# The web app (built once; cloudbuild.yaml does the same on a release).
if [ -z "${SKIP_WEB:-}" ]; then
  say "web app into gs://$PROJECT-spa"
  run make -C "$ROOT" static
  run gcloud storage rsync "$ROOT/static/dist" "gs://$PROJECT-spa" --recursive --delete-unmatched-destination-objects '--exclude=^config\.js$'
  run gcloud storage objects update "gs://$PROJECT-spa/assets/**" "--cache-control=public, max-age=31536000, immutable"
  run gcloud storage objects update "gs://$PROJECT-spa/index.html" "--cache-control=no-cache, max-age=0"
fi

# 4. The tenant's record and first admin.
say "tenant record and first admin in $PROJECT's Firestore"
run go -C "$ROOT" run ./functions/cmd/recs tenant bootstrap -project "$PROJECT" -tenant "$NAME" -name "$TITLE" -admin "$ADMIN_EMAIL"

# 5. The admin's Identity Platform account.
say "Identity Platform account of $ADMIN_EMAIL"
PASSWORD=""
if [ -n "${DRY_RUN:-}" ]; then
  echo "would create the account through identitytoolkit.googleapis.com (projects/$PROJECT/accounts)"
else
  PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(15))')
  body=$(EMAIL=$ADMIN_EMAIL PASSWORD=$PASSWORD python3 -c 'import json,os; print(json.dumps({"email": os.environ["EMAIL"], "password": os.environ["PASSWORD"], "emailVerified": True}))')
  token=$(gcloud auth print-access-token)
  answer=$(curl -sS -X POST "https://identitytoolkit.googleapis.com/v1/projects/$PROJECT/accounts" \
    -H "Authorization: Bearer $token" -H "x-goog-user-project: $PROJECT" -H "Content-Type: application/json" \
    --data-binary "$body") || die "could not reach Identity Platform"
  case $answer in
    *'"localId"'*) ;;
    *EMAIL_EXISTS*) PASSWORD="" ;;
    *) die "Identity Platform refused the account: $(printf '%s' "$answer" | head -c 400)" ;;
  esac
fi

# 6. Where and how to sign in.
WEB_IP="(see: terraform -chdir=$ENV_DIR output tenants)"
if [ -z "${DRY_RUN:-}" ]; then
  WEB_IP=$(terraform -chdir="$ENV_DIR" output -json tenants | NAME=$NAME python3 -c 'import json,os,sys; print(json.load(sys.stdin)[os.environ["NAME"]]["web_ip"])')
fi
say "tenant $NAME is deployed"
cat <<EOF
  Web app:      https://$DOMAIN/
  DNS:          make an A record $DOMAIN -> $WEB_IP (the certificate is issued
                once it resolves; this can take up to an hour)
  First admin:  $ADMIN_EMAIL
EOF
if [ -n "$PASSWORD" ]; then
  echo "  Password:     $PASSWORD   (shown once: save it; change it after the first sign-in)"
else
  echo "  Sign in:      with the existing password of $ADMIN_EMAIL (or Google, where the tenant has Google sign-in)"
fi
