/**
 * Shroud's own corpus for the provider-format table (issue 16): one synthetic credential per
 * format, written here from each provider's documentation of the shape as a small template (not
 * derived from src/detect/formats/table.ts, so a wrong table entry shows up as a miss), and
 * look-alikes made from the same templates: the random parts masked (`ghp_xxxx…`), a
 * documentation-style `EXAMPLE` body, a wrong checksum, plus hand-written stand-ins.
 *
 * Template syntax: literal text, `{alphabet:n}` for n characters drawn from a seeded generator,
 * `{crc}` for the base62 CRC-32 of the random part before it (GitHub's and npm's checksum).
 * Every value is built at run time, so no complete token literal appears in this file. None of
 * these values is, or was, a real credential.
 */
import { BUILTIN_FORMATS } from '../../../src/detect/formats/table.js';
import { seeded } from '../fixtures.js';
import type { CorpusCase } from './types.js';

const ALPHABETS: Record<string, string> = {
  b62: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  b64: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
  b64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
  hex: '0123456789abcdef',
  HEX: '0123456789ABCDEF',
  dec: '0123456789',
  UD: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ld: 'abcdefghijklmnopqrstuvwxyz0123456789',
  az: 'abcdefghijklmnopqrstuvwxyz',
  b32: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567',
  lb32: 'abcdefghijklmnopqrstuvwxyz234567',
  bech: 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'.toUpperCase(),
  azure: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.-',
  AD: 'ABCD',
};

const UUID = '{hex:8}-{hex:4}-4{hex:3}-a{hex:3}-{hex:12}';

/** [format id, key a user would store it under, template]. */
const TEMPLATES: ReadonlyArray<readonly [string, string, string]> = [
  ['aws-access-key-id', 'AWS_ACCESS_KEY_ID', 'AKIA{b32:16}'],
  ['aws-session-token', 'AWS_SESSION_TOKEN', 'IQoJb3JpZ2luX2Vj{b64:300}'],
  ['aws-secret-access-key', 'AWS_SECRET_ACCESS_KEY', '{b64:40}'],
  ['google-api-key', 'GOOGLE_MAPS_KEY', 'AIza{b64url:35}'],
  ['google-oauth-client-secret', 'GOOGLE_CLIENT_SECRET', 'GOCSPX-{b64url:28}'],
  ['google-oauth-access-token', 'GOOGLE_ACCESS_TOKEN', 'ya29.{b64url:150}'],
  ['google-oauth-refresh-token', 'GOOGLE_REFRESH_TOKEN', '1//0{b64url:100}'],
  ['gcp-service-account-key-id', 'sa.json', '{"type": "service_account", "private_key_id": "{hex:40}"}'],
  ['firebase-fcm-server-key', 'FCM_SERVER_KEY', 'AAAA{b64url:7}:APA91b{b64url:134}'],
  ['azure-ad-client-secret', 'AZURE_CLIENT_SECRET', '{b62:3}8Q~{azure:34}'],
  [
    'azure-storage-account-key',
    'STORAGE_CONNECTION',
    'DefaultEndpointsProtocol=https;AccountName=shopdata;AccountKey={b64:86}==;EndpointSuffix=core.windows.net',
  ],
  [
    'azure-shared-access-key',
    'SERVICEBUS_CONNECTION',
    'Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={b64:43}=',
  ],
  [
    'azure-sas-signature',
    'BLOB_SAS_URL',
    'https://shopdata.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=o&sp=r&se=2027-01-01&sig={b62:40}%3D',
  ],
  ['azure-devops-pat', 'AZDO_PAT', '{b62:52}{b62:24}AZDO{b62:4}'],
  ['azure-devops-pat-legacy', 'AZURE_DEVOPS_TOKEN', '{lb32:52}'],
  ['azure-container-registry-password', 'ACR_PASSWORD', '{b64:42}+ACR{AD:1}{b64:5}'],
  ['azure-cognitive-key', 'AZURE_OPENAI_API_KEY', '{hex:32}'],
  [
    'microsoft-teams-webhook',
    'TEAMS_WEBHOOK_URL',
    `https://shop.webhook.office.com/webhookb2/${UUID}@${UUID}/IncomingWebhook/{hex:32}/${UUID}`,
  ],
  ['digitalocean-pat', 'DIGITALOCEAN_TOKEN', 'dop_v1_{hex:64}'],
  ['digitalocean-oauth', 'DO_OAUTH_TOKEN', 'doo_v1_{hex:64}'],
  ['alibaba-access-key-id', 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'LTAI{b62:20}'],
  ['alibaba-access-key-secret', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', '{b62:30}'],
  ['tencent-secret-id', 'TENCENTCLOUD_SECRET_ID', 'AKID{b62:32}'],
  ['ibm-cloud-api-key', 'IBMCLOUD_API_KEY', '{b64url:44}'],
  ['oci-customer-secret-key', 'OCI_SECRET_KEY', '{b64:43}='],
  ['yandex-cloud-api-key', 'YC_API_KEY', 'AQVN{b64url:36}'],
  ['heroku-api-key', 'HEROKU_API_KEY', UUID],
  ['heroku-platform-token', 'HEROKU_TOKEN', `HRKU-${UUID}`],
  ['flyio-token', 'FLY_API_TOKEN', 'FlyV1 fm2_{b64:200},fm2_{b64:120}'],
  ['vercel-token', 'VERCEL_TOKEN', '{b62:24}'],
  ['netlify-pat', 'NETLIFY_AUTH_TOKEN', 'nfp_{b62:36}'],
  ['render-api-key', 'RENDER_API_KEY', 'rnd_{b62:32}'],
  ['railway-token', 'RAILWAY_TOKEN', UUID],
  ['supabase-access-token', 'SUPABASE_ACCESS_TOKEN', 'sbp_{hex:40}'],
  ['supabase-secret-key', 'SUPABASE_SECRET_KEY', 'sb_secret_{b64url:32}'],
  ['planetscale-token', 'PLANETSCALE_SERVICE_TOKEN', 'pscale_tkn_{b64url:43}'],
  ['neon-api-key', 'NEON_API_KEY', 'napi_{ld:64}'],
  ['mongodb-atlas-private-key', 'MONGODB_ATLAS_PRIVATE_KEY', UUID],
  ['databricks-token', 'DATABRICKS_TOKEN', 'dapi{hex:32}'],
  ['cloudflare-origin-ca-key', 'CF_ORIGIN_CA_KEY', 'v1.0-{hex:24}-{hex:146}'],
  ['cloudflare-api-token', 'CLOUDFLARE_API_TOKEN', '{b64url:40}'],
  ['cloudflare-global-api-key', 'CLOUDFLARE_API_KEY', '{hex:37}'],
  ['fastly-api-token', 'FASTLY_API_TOKEN', '{b64url:32}'],
  ['linode-token', 'LINODE_TOKEN', '{hex:64}'],
  ['vultr-api-key', 'VULTR_API_KEY', '{UD:36}'],
  ['hetzner-api-token', 'HCLOUD_TOKEN', '{b62:64}'],
  ['scaleway-secret-key', 'SCW_SECRET_KEY', UUID],
  ['backblaze-application-key', 'B2_APPLICATION_KEY', 'K00{b62:28}'],
  ['github-pat-classic', 'GITHUB_TOKEN', 'ghp_{b62:30}{crc}'],
  ['github-oauth-token', 'GITHUB_OAUTH_TOKEN', 'gho_{b62:30}{crc}'],
  ['github-user-to-server-token', 'GH_USER_TOKEN', 'ghu_{b62:30}{crc}'],
  ['github-server-to-server-token', 'GH_APP_TOKEN', 'ghs_{b62:30}{crc}'],
  ['github-refresh-token', 'GITHUB_REFRESH_TOKEN', 'ghr_{b62:30}{crc}'],
  ['github-fine-grained-pat', 'GITHUB_PAT', 'github_pat_{b62:22}_{b62:59}'],
  ['gitlab-pat', 'GITLAB_TOKEN', 'glpat-{b64url:20}'],
  ['gitlab-deploy-token', 'GITLAB_DEPLOY_TOKEN', 'gldt-{b64url:20}'],
  ['gitlab-runner-token', 'RUNNER_TOKEN', 'glrt-{b64url:20}'],
  ['gitlab-oauth-secret', 'GITLAB_OAUTH_SECRET', 'gloas-{b64url:64}'],
  ['gitlab-pipeline-trigger-token', 'GITLAB_TRIGGER_TOKEN', 'glptt-{hex:40}'],
  ['gitlab-other-token', 'GITLAB_FEED_TOKEN', 'glft-{b64url:20}'],
  ['bitbucket-app-password', 'BITBUCKET_APP_PASSWORD', 'ATBB{b62:32}'],
  ['bitbucket-access-token', 'BITBUCKET_ACCESS_TOKEN', 'ATCTT3xFfGN0{b64url:180}={HEX:8}'],
  ['atlassian-api-token', 'JIRA_API_TOKEN', 'ATATT3xFfGF0{b64url:180}={HEX:8}'],
  ['atlassian-api-token-legacy', 'CONFLUENCE_API_TOKEN', '{b62:24}'],
  ['circleci-token', 'CIRCLECI_TOKEN', 'CCIPAT_{b62:22}_{hex:40}'],
  ['buildkite-api-token', 'BUILDKITE_API_TOKEN', 'bkua_{hex:40}'],
  ['buildkite-agent-token', 'BUILDKITE_AGENT_TOKEN', '{ld:50}'],
  ['travis-api-token', 'TRAVIS_API_TOKEN', '{b64url:22}'],
  ['drone-token', 'DRONE_TOKEN', '{b62:32}'],
  ['jenkins-api-token', 'JENKINS_API_TOKEN', '11{hex:32}'],
  ['teamcity-token', 'TEAMCITY_TOKEN', 'eyJ0eXAiOiAiVENWMiJ9.{b64url:36}.{b64url:48}'],
  ['harness-token', 'HARNESS_API_KEY', 'pat.{b64url:22}.{hex:24}.{b62:20}'],
  ['octopus-api-key', 'OCTOPUS_API_KEY', 'API-{UD:27}'],
  ['rancher-token', 'RANCHER_TOKEN', 'token-{ld:5}:{ld:54}'],
  ['codecov-token', 'CODECOV_TOKEN', UUID],
  ['snyk-token', 'SNYK_TOKEN', UUID],
  ['sonar-token', 'SONAR_TOKEN', 'squ_{hex:40}'],
  ['jfrog-reference-token', 'JFROG_ACCESS_TOKEN', 'cmVmdGtuOjAxOj{b64url:50}'],
  ['jfrog-api-key', 'ARTIFACTORY_API_KEY', 'AKCp{b62:69}'],
  ['sourcegraph-token', 'SRC_ACCESS_TOKEN', 'sgp_{hex:16}_{hex:40}'],
  ['gitea-token', 'GITEA_TOKEN', '{hex:40}'],
  ['postman-api-key', 'POSTMAN_API_KEY', 'PMAK-{hex:24}-{hex:34}'],
  ['expo-access-token', 'EXPO_TOKEN', '{b64url:40}'],
  ['npm-token', 'NPM_TOKEN', 'npm_{b62:30}{crc}'],
  ['npm-legacy-token', '.npmrc', `registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${UUID}\n`],
  ['pypi-token', 'PYPI_API_TOKEN', 'pypi-AgEIcHlwaS5vcmc{b64url:160}'],
  ['rubygems-api-key', 'GEM_HOST_API_KEY', 'rubygems_{hex:48}'],
  ['nuget-api-key', 'NUGET_API_KEY', 'oy2{lb32:43}'],
  ['crates-io-token', 'CARGO_REGISTRY_TOKEN', 'cio{b62:32}'],
  ['clojars-token', 'CLOJARS_DEPLOY_TOKEN', 'CLOJARS_{hex:60}'],
  ['docker-hub-pat', 'DOCKERHUB_TOKEN', 'dckr_pat_{b64url:27}'],
  ['docker-hub-oat', 'DOCKERHUB_ORG_TOKEN', 'dckr_oat_{b64url:32}'],
  ['hexpm-api-key', 'HEXPM_API_KEY', '{hex:32}'],
  ['terraform-cloud-token', 'TFE_TOKEN', '{b62:14}.atlasv1.{b64url:67}'],
  ['vault-token', 'VAULT_TOKEN', 'hvs.{b64url:92}'],
  ['vault-legacy-token', 'VAULT_TOKEN', 's.{b62:24}'],
  ['consul-acl-token', 'CONSUL_HTTP_TOKEN', UUID],
  ['nomad-acl-token', 'NOMAD_TOKEN', UUID],
  ['pulumi-token', 'PULUMI_ACCESS_TOKEN', 'pul-{hex:40}'],
  ['doppler-token', 'DOPPLER_TOKEN', 'dp.pt.{b62:43}'],
  ['doppler-service-token', 'DOPPLER_TOKEN', 'dp.st.prd.{b62:40}'],
  ['1password-service-account-token', 'OP_SERVICE_ACCOUNT_TOKEN', 'ops_eyJ{b64:600}'],
  ['bitwarden-access-token', 'BWS_ACCESS_TOKEN', `0.${UUID}.{b62:30}:{b64:22}==`],
  ['age-secret-key', 'SOPS_AGE_KEY', 'AGE-SECRET-KEY-1{bech:58}'],
  ['tailscale-key', 'TS_AUTHKEY', 'tskey-auth-k{b62:11}CNTRL-{b62:33}'],
  ['ngrok-token', 'NGROK_AUTHTOKEN', '{b62:27}_{b62:21}'],
  ['sentry-user-token', 'SENTRY_AUTH_TOKEN', 'sntryu_{hex:64}'],
  ['sentry-org-token', 'SENTRY_AUTH_TOKEN', 'sntrys_eyJ{b64:140}_{b64:43}'],
  ['datadog-api-key', 'DATADOG_API_KEY', '{hex:32}'],
  ['datadog-app-key', 'DD_APP_KEY', '{hex:40}'],
  ['newrelic-user-key', 'NEW_RELIC_API_KEY', 'NRAK-{UD:27}'],
  ['newrelic-insights-key', 'NEW_RELIC_INSERT_KEY', 'NRII-{b64url:32}'],
  ['newrelic-license-key', 'NEW_RELIC_LICENSE_KEY', '{hex:36}NRAL'],
  ['newrelic-browser-key', 'NEW_RELIC_BROWSER_KEY', 'NRJS-{hex:19}'],
  ['grafana-cloud-token', 'GRAFANA_CLOUD_TOKEN', 'glc_eyJ{b64:120}'],
  ['grafana-service-account-token', 'GRAFANA_TOKEN', 'glsa_{b62:32}_{hex:8}'],
  ['grafana-api-key', 'GRAFANA_API_KEY', 'eyJrIjoi{b64:80}'],
  ['honeycomb-ingest-key', 'HONEYCOMB_API_KEY', 'hcaik_{b62:58}'],
  ['honeycomb-configuration-key', 'HONEYCOMB_API_KEY', '{b62:22}'],
  ['dynatrace-token', 'DT_API_TOKEN', 'dt0c01.{UD:24}.{UD:64}'],
  ['splunk-hec-token', 'SPLUNK_HEC_TOKEN', UUID],
  ['loggly-token', 'LOGGLY_TOKEN', UUID],
  ['logzio-token', 'LOGZIO_TOKEN', '{b62:32}'],
  ['rollbar-token', 'ROLLBAR_ACCESS_TOKEN', '{hex:32}'],
  ['bugsnag-token', 'BUGSNAG_API_KEY', '{hex:32}'],
  ['pagerduty-api-key', 'PAGERDUTY_API_KEY', 'u+{b64url:18}'],
  ['opsgenie-api-key', 'OPSGENIE_API_KEY', UUID],
  ['launchdarkly-key', 'LAUNCHDARKLY_SDK_KEY', `sdk-${UUID}`],
  ['launchdarkly-mobile-key', 'LD_MOBILE_KEY', `mob-${UUID}`],
  ['posthog-personal-key', 'POSTHOG_PERSONAL_API_KEY', 'phx_{b62:43}'],
  ['segment-write-key', 'SEGMENT_WRITE_KEY', '{b62:32}'],
  ['mixpanel-secret', 'MIXPANEL_API_SECRET', '{hex:32}'],
  ['amplitude-secret-key', 'AMPLITUDE_SECRET_KEY', '{hex:32}'],
  ['slack-bot-token', 'SLACK_BOT_TOKEN', 'xoxb-{dec:12}-{dec:13}-{b62:24}'],
  ['slack-user-token', 'SLACK_USER_TOKEN', 'xoxp-{dec:12}-{dec:12}-{dec:13}-{hex:32}'],
  ['slack-other-token', 'SLACK_LEGACY_TOKEN', 'xoxs-{dec:12}-{b62:40}'],
  ['slack-config-token', 'SLACK_CONFIG_TOKEN', 'xoxe.xoxp-1-{b64url:140}'],
  ['slack-app-token', 'SLACK_APP_TOKEN', 'xapp-1-A0{UD:9}-{dec:13}-{hex:64}'],
  ['slack-webhook', 'SLACK_WEBHOOK_URL', 'https://hooks.slack.com/services/T0{UD:9}/B0{UD:9}/{b62:24}'],
  [
    'slack-workflow-webhook',
    'SLACK_WORKFLOW_URL',
    'https://hooks.slack.com/triggers/T0{UD:9}/{UD:11}/{dec:16}/{b62:32}',
  ],
  ['discord-webhook', 'DISCORD_WEBHOOK_URL', 'https://discord.com/api/webhooks/1{dec:18}/{b64url:68}'],
  ['discord-bot-token', 'DISCORD_BOT_TOKEN', 'M{b64url:25}.{b64url:6}.{b64url:38}'],
  ['telegram-bot-token', 'TELEGRAM_BOT_TOKEN', '{dec:10}:AA{b64url:33}'],
  ['twilio-api-key-sid', 'TWILIO_API_KEY', 'SK{hex:32}'],
  ['twilio-auth-token', 'TWILIO_AUTH_TOKEN', '{b62:32}'],
  ['sendgrid-api-key', 'SENDGRID_API_KEY', 'SG.{b64url:22}.{b64url:43}'],
  ['mailgun-api-key-legacy', 'MAILGUN_API_KEY', 'key-{hex:32}'],
  ['mailgun-api-key', 'MAILGUN_API_KEY', '{hex:32}-{hex:8}-{hex:8}'],
  ['mailchimp-api-key', 'MAILCHIMP_KEY', '{hex:32}-us{dec:2}'],
  ['mandrill-api-key', 'MANDRILL_API_KEY', '{b64url:22}'],
  ['postmark-token', 'POSTMARK_SERVER_TOKEN', UUID],
  ['sparkpost-api-key', 'SPARKPOST_API_KEY', '{hex:40}'],
  ['brevo-api-key', 'BREVO_API_KEY', 'xkeysib-{hex:64}-{b62:16}'],
  ['mailjet-secret-key', 'MJ_APIKEY_PRIVATE', '{hex:32}'],
  ['resend-api-key', 'RESEND_API_KEY', 're_{b62:8}_{b62:24}'],
  ['vonage-api-secret', 'VONAGE_API_SECRET', '{b62:16}'],
  ['plivo-auth-token', 'PLIVO_AUTH_TOKEN', '{b62:40}'],
  ['messagebird-access-key', 'MESSAGEBIRD_ACCESS_KEY', '{b62:25}'],
  ['mattermost-token', 'MATTERMOST_TOKEN', '{ld:26}'],
  ['twitch-token', 'TWITCH_CLIENT_SECRET', '{ld:30}'],
  ['twitter-bearer-token', 'TWITTER_BEARER_TOKEN', 'AAAAAAAAAAAAAAAAAAAAA{b62:30}%3D{b62:50}'],
  ['facebook-access-token', 'FB_ACCESS_TOKEN', 'EAAG{b62:180}'],
  ['zapier-webhook', 'ZAPIER_HOOK_URL', 'https://hooks.zapier.com/hooks/catch/{dec:7}/{ld:7}/'],
  ['openai-project-key', 'OPENAI_API_KEY', 'sk-proj-{b64url:74}T3BlbkFJ{b64url:74}'],
  ['openai-user-key', 'OPENAI_API_KEY', 'sk-{b62:20}T3BlbkFJ{b62:20}'],
  ['generic-sk-key', 'DEEPSEEK_API_KEY', 'sk-{hex:32}'],
  ['anthropic-api-key', 'ANTHROPIC_API_KEY', 'sk-ant-api03-{b64url:93}AA'],
  ['huggingface-token', 'HF_TOKEN', 'hf_{b62:34}'],
  ['huggingface-org-token', 'HUGGINGFACE_ORG_TOKEN', 'api_org_{b62:34}'],
  ['groq-api-key', 'GROQ_API_KEY', 'gsk_{b62:52}'],
  ['replicate-token', 'REPLICATE_API_TOKEN', 'r8_{b62:37}'],
  ['perplexity-api-key', 'PERPLEXITY_API_KEY', 'pplx-{b62:48}'],
  ['xai-api-key', 'XAI_API_KEY', 'xai-{b62:80}'],
  ['openrouter-api-key', 'OPENROUTER_API_KEY', 'sk-or-v1-{hex:64}'],
  ['cohere-api-key', 'CO_API_KEY', '{b62:40}'],
  ['mistral-api-key', 'MISTRAL_API_KEY', '{b62:32}'],
  ['langsmith-api-key', 'LANGSMITH_API_KEY', 'lsv2_pt_{hex:32}_{hex:10}'],
  ['pinecone-api-key', 'PINECONE_API_KEY', 'pcsk_{b62:6}_{b62:65}'],
  ['wandb-api-key', 'WANDB_API_KEY', '{hex:40}'],
  ['algolia-api-key', 'ALGOLIA_ADMIN_API_KEY', '{hex:32}'],
  ['prefect-api-key', 'PREFECT_API_KEY', 'pnu_{b62:36}'],
  ['dbt-cloud-token', 'DBT_CLOUD_API_TOKEN', 'dbtc_{b64url:48}'],
  ['stripe-secret-key', 'STRIPE_SECRET_KEY', 'sk_live_{b62:99}'],
  ['stripe-test-key', 'STRIPE_SECRET_KEY', 'sk_test_{b62:99}'],
  ['stripe-webhook-secret', 'STRIPE_WEBHOOK_SECRET', 'whsec_{b62:32}'],
  ['shopify-token', 'SHOPIFY_ACCESS_TOKEN', 'shpat_{hex:32}'],
  ['square-access-token', 'SQUARE_ACCESS_TOKEN', 'EAAA{b64url:60}'],
  ['square-legacy-token', 'SQUARE_TOKEN', 'sq0atp-{b64url:22}'],
  ['braintree-access-token', 'BRAINTREE_ACCESS_TOKEN', 'access_token$production${b62:16}${hex:32}'],
  ['plaid-secret', 'PLAID_SECRET', '{hex:30}'],
  ['flutterwave-secret-key', 'FLW_SECRET_KEY', 'FLWSECK-{hex:32}-X'],
  ['razorpay-key-id', 'RAZORPAY_KEY_ID', 'rzp_live_{b62:14}'],
  ['paddle-api-key', 'PADDLE_API_KEY', 'pdl_live_apikey_{b62:26}_{b62:22}'],
  ['woocommerce-consumer-secret', 'WC_CONSUMER_SECRET', 'cs_{hex:40}'],
  ['shippo-live-token', 'SHIPPO_API_TOKEN', 'shippo_live_{hex:40}'],
  ['easypost-api-key', 'EASYPOST_API_KEY', 'EZAK{b62:54}'],
  ['stytch-secret', 'STYTCH_SECRET', 'secret-live-{b64url:36}'],
  ['linear-api-key', 'LINEAR_API_KEY', 'lin_api_{b62:40}'],
  ['linear-oauth-token', 'LINEAR_OAUTH_TOKEN', 'lin_oauth_{hex:64}'],
  ['notion-token', 'NOTION_TOKEN', 'ntn_{b62:46}'],
  ['notion-token-legacy', 'NOTION_API_KEY', 'secret_{b62:43}'],
  ['asana-pat', 'ASANA_TOKEN', '2/{dec:16}/{dec:16}:{hex:32}'],
  ['trello-token', 'TRELLO_TOKEN', 'ATTA{hex:64}{HEX:8}'],
  ['hubspot-private-app-token', 'HUBSPOT_ACCESS_TOKEN', `pat-na1-${UUID}`],
  ['intercom-access-token', 'INTERCOM_ACCESS_TOKEN', 'dG9rOj{b64:54}='],
  ['zendesk-api-token', 'ZENDESK_API_TOKEN', '{b62:40}'],
  ['salesforce-access-token', 'SF_ACCESS_TOKEN', '00D{b62:15}!{b62:100}'],
  ['airtable-pat', 'AIRTABLE_API_KEY', 'pat{b62:14}.{hex:64}'],
  ['clickup-token', 'CLICKUP_API_TOKEN', 'pk_{dec:8}_{UD:32}'],
  ['typeform-token', 'TYPEFORM_TOKEN', 'tfp_{b64url:44}_{b64url:14}'],
  ['figma-token', 'FIGMA_TOKEN', 'figd_{b64url:40}'],
  ['contentful-pat', 'CONTENTFUL_MANAGEMENT_TOKEN', 'CFPAT-{b64url:43}'],
  ['mapbox-secret-token', 'MAPBOX_SECRET_TOKEN', 'sk.eyJ1Ijoi{b64url:60}.{b64url:22}'],
  ['dropbox-token', 'DROPBOX_ACCESS_TOKEN', 'sl.{b64url:136}'],
  ['box-token', 'BOX_CLIENT_SECRET', '{b62:32}'],
  ['frameio-token', 'FRAMEIO_TOKEN', 'fio-u-{b64url:64}'],
  ['adobe-client-secret', 'ADOBE_CLIENT_SECRET', 'p8e-{b64url:32}'],
  ['lokalise-token', 'LOKALISE_API_TOKEN', '{hex:40}'],
  ['pusher-secret', 'PUSHER_APP_SECRET', '{hex:20}'],
  ['okta-api-token', 'OKTA_API_TOKEN', '00{b64url:40}'],
  ['auth0-client-secret', 'AUTH0_CLIENT_SECRET', '{b64url:64}'],
  ['duo-secret-key', 'DUO_SECRET_KEY', '{b62:40}'],
  ['openweather-api-key', 'OPENWEATHER_API_KEY', '{hex:32}'],
  ['honeycomb-management-key', 'HONEYCOMB_MANAGEMENT_KEY', 'hcxmk_{b62:26}:{b62:32}'],
  ['heroku-platform-token-v2', 'HEROKU_API_KEY', 'HRKU-AA{b64url:58}'],
];

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** CRC-32 (IEEE), written here independently of src/detect/formats/checksum.ts. */
function crc32(text: string): number {
  let crc = ~0;
  for (let i = 0; i < text.length; i++) {
    crc ^= text.charCodeAt(i);
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return ~crc >>> 0;
}

function crcBase62(text: string): string {
  let n = crc32(text);
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

type Fill = 'random' | 'mask' | 'bad-checksum';

/** Expands a template; `fill` says what the random parts become. */
export function expand(template: string, seed: number, fill: Fill = 'random'): string {
  const next = seeded(seed);
  let lastRandom = '';
  return template.replace(/\{([A-Za-z0-9]+)(?::(\d+))?\}/g, (_m, name: string, count: string | undefined) => {
    if (name === 'crc') {
      const sum = crcBase62(lastRandom);
      return fill === 'bad-checksum' ? sum.slice(1) + (sum[0] === '0' ? '1' : '0') : sum;
    }
    const alphabet = ALPHABETS[name];
    if (alphabet === undefined || count === undefined) throw new Error(`bad template part {${name}:${count}}`);
    let text = '';
    for (let i = 0; i < Number(count); i++) text += alphabet[Math.floor(next() * alphabet.length)];
    if (fill === 'mask') text = (alphabet.includes('x') ? 'x' : alphabet.includes('X') ? 'X' : '0').repeat(text.length);
    lastRandom = text;
    return text;
  });
}

/** A documentation-style value: the longest random part (with upper case, at most 128) starts with EXAMPLE. */
function expandExample(template: string, seed: number): string {
  const parts = [...template.matchAll(/\{([A-Za-z0-9]+):(\d+)\}/g)];
  let target = -1;
  let best = 0;
  parts.forEach((p, i) => {
    const n = Number(p[2]);
    if (n > best && n <= 128 && /[A-Z]/.test(ALPHABETS[p[1] as string] ?? '')) {
      best = n;
      target = i;
    }
  });
  let index = -1;
  const next = seeded(seed);
  return template.replace(/\{([A-Za-z0-9]+)(?::(\d+))?\}/g, (_m, name: string, count: string | undefined) => {
    if (name === 'crc') return '000000';
    index++;
    const alphabet = ALPHABETS[name] as string;
    let text = '';
    for (let i = 0; i < Number(count); i++) text += alphabet[Math.floor(next() * alphabet.length)];
    return index === target ? `EXAMPLE${text.slice(7)}` : text;
  });
}

const SOURCES = new Map(BUILTIN_FORMATS.map((f) => [f.id, f.source]));

function sourceOf(id: string): string {
  const source = SOURCES.get(id);
  if (source === undefined) throw new Error(`corpus template for unknown format ${id}`);
  return source;
}

const generated: CorpusCase[] = TEMPLATES.flatMap(([id, key, template], i): CorpusCase[] => {
  const source = sourceOf(id);
  const cases: CorpusCase[] = [
    { name: id, value: expand(template, 1000 + i), secret: true, key, source },
    { name: `${id}: masked`, value: expand(template, 1000 + i, 'mask'), secret: false, key, source: 'synthetic' },
  ];
  if (/\{[A-Za-z]+:\d+\}/.test(template) && expandExample(template, 2000 + i).includes('EXAMPLE'))
    cases.push({
      name: `${id}: documentation example`,
      value: expandExample(template, 2000 + i),
      secret: false,
      key,
      source: 'synthetic',
    });
  if (template.includes('{crc}'))
    cases.push({
      name: `${id}: wrong checksum`,
      value: expand(template, 1000 + i, 'bad-checksum'),
      secret: false,
      key,
      source: 'synthetic',
    });
  return cases;
});

const j = (...parts: string[]): string => parts.join('');

/** Hand-written stand-ins and near misses. */
const LOOK_ALIKES: CorpusCase[] = [
  { name: 'GitHub prefix, x body', value: j('ghp', '_', 'x'.repeat(36)), key: 'GITHUB_TOKEN' },
  {
    name: 'GitHub prefix, sequential body',
    value: j('ghp', '_', 'abcdefghijklmnopqrstuvwxyz0123456789'),
    key: 'GH_TOKEN',
  },
  { name: 'GitHub prefix, one short', value: j('ghp', '_', expand('{b62:29}', 7), 'aB3dE9'), key: 'k' },
  { name: 'AWS docs key id', value: j('AKIA', 'IOSFODNN7', 'EXAMPLE'), key: 'AWS_ACCESS_KEY_ID' },
  { name: 'AWS masked key id', value: j('AKIA', 'Z'.repeat(16)), key: 'AWS_ACCESS_KEY_ID' },
  { name: 'AWS key id glued to a word', value: j('XAKIA', expand('{b32:16}', 8)), key: 'k' },
  { name: 'Stripe test stand-in', value: j('sk', '_test_', '123'), key: 'STRIPE_KEY' },
  { name: 'Stripe publishable key', value: j('pk', '_live_', expand('{b62:24}', 9)), key: 'STRIPE_PUBLISHABLE_KEY' },
  { name: 'made-up api key', value: 'a-fake-api-key', key: 'API_KEY' },
  { name: 'changeme', value: 'changeme', key: 'SLACK_TOKEN' },
  { name: 'Slack stand-in', value: j('xox', 'b-your-bot-token-here'), key: 'SLACK_BOT_TOKEN' },
  {
    name: 'Slack docs webhook',
    value: j('https://hooks.', 'slack.com/services/', 'T00000000/B00000000/', 'X'.repeat(24)),
    key: 'SLACK_WEBHOOK',
  },
  {
    name: 'Slack numbers counting up',
    value: j('xox', 'b-1234567890-1234567890123-', expand('{b62:24}', 10)),
    key: 'k',
  },
  { name: 'Heroku key all zeros', value: '00000000-0000-0000-0000-000000000000', key: 'HEROKU_API_KEY' },
  { name: 'UUID under a provider id key', value: expand(UUID, 11), key: 'HEROKU_APP_ID' },
  { name: 'UUID under a neutral key', value: expand(UUID, 12), key: 'REQUEST_ID' },
  { name: 'hex digest under a Datadog site key', value: expand('{hex:32}', 13), key: 'DATADOG_SITE_HASH' },
  { name: 'Mailchimp-shaped with a zero key', value: j('0'.repeat(32), '-us6'), key: 'MAILCHIMP_KEY' },
  { name: 'New Relic prefix, placeholder', value: j('NRAK', '-', 'X'.repeat(27)), key: 'NEW_RELIC_API_KEY' },
  {
    name: 'Entra secret stand-in',
    value: j('abc8Q', '~', 'your-client-secret-goes-here-please'),
    key: 'AZURE_CLIENT_SECRET',
  },
  {
    name: 'origin CA placeholder',
    value: j('v1.0', '-', '0'.repeat(24), '-', '0'.repeat(146)),
    key: 'CF_ORIGIN_CA_KEY',
  },
  { name: 'OpenAI docs stand-in', value: j('sk', '-proj-', 'YOUR_API_KEY_HERE'), key: 'OPENAI_API_KEY' },
  { name: 'npm token with a made-up body', value: j('npm', '_', expand('{b62:36}', 14)), key: 'data' },
  { name: 'Hugging Face masked', value: j('hf', '_', 'x'.repeat(34)), key: 'HF_TOKEN' },
  {
    name: 'SendGrid sample',
    value: j('SG', '.', 'SAMPLE', expand('{b64url:16}', 15), '.', 'x'.repeat(43)),
    key: 'SENDGRID_API_KEY',
  },
  { name: 'git commit under a GitLab key', value: expand('{hex:40}', 16), key: 'GITLAB_COMMIT' },
  {
    name: 'npmrc with an env reference',
    value: j('//registry.npmjs.org/:_authToken=', '${NPM_TOKEN}', '\n'),
    key: '.npmrc',
  },
].map((c) => ({ ...c, secret: false, source: 'synthetic' }));

export const CASES: readonly CorpusCase[] = Object.freeze([...generated, ...LOOK_ALIKES]);
