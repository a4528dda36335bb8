{#- Macros of the hubble chart. Import with
    {% import "hubble/templates/_helpers.tpl" as hubble %}
    Imported macros do not see the template context: pass what they need. -#}

{#- The arguments of cilium-certgen (one YAML list item per line, no indentation):
    create the Hubble CA once (reused afterwards), the agents' server certificate
    (Secret hubble-server-certs) and the relay's client certificate (Secret
    hubble-relay-client-certs). The server name carries cilium-config `cluster-name`
    ("default"). Cilium 1.12's certgen (capability chart_1_12) names the CA flags
    --ca-generate and --ca-reuse-secret.
    Usage:
          args:
            {{ hubble.certgen_args(values, cluster) | indent(12) }} -#}
{% macro certgen_args(values, cluster) -%}
{% set ca = "--ca" if "chart_1_12" in cluster.cni.capabilities else "--hubble-ca" %}
- --cilium-namespace=kube-system
- {{ ca }}-generate
- {{ ca }}-reuse-secret
- --hubble-server-cert-generate
- --hubble-server-cert-common-name=*.default.hubble-grpc.cilium.io
- {{ ("--hubble-server-cert-validity-duration=" ~ values.certgen.certValidityDuration) | quote }}
- --hubble-relay-client-cert-generate
- {{ ("--hubble-relay-client-cert-validity-duration=" ~ values.certgen.certValidityDuration) | quote }}
{%- endmacro %}

{#- Whether the certgen pods, hubble-ui and hubble-relay's containers carry the fields of
    Cilium's newer charts (automountServiceAccountToken, terminationMessagePolicy): the
    v1.11 layout from KKP v2.20.16 (cilium_chart_1_11_16); the v1.12 one
    (catalog chart_1_12) from v2.21.9/v2.22.3 (automount: cilium_legacy_install_cni_binaries)
    and v2.21.2/v2.22.0 (terminationMessagePolicy: cilium_legacy_termination_message_policy).
    Prints "true" or nothing. Usage:
      {% set automount = hubble.has(cluster, "automount") | trim %} -#}
{% macro has(cluster, field) -%}
{% if "chart_1_12" in cluster.cni.capabilities %}
{% set cap = {"automount": "cilium_legacy_install_cni_binaries", "termination": "cilium_legacy_termination_message_policy"}[field] %}
{% else %}
{% set cap = "cilium_chart_1_11_16" %}
{% endif %}
{{ "true" if cap in cluster.kkp_capabilities else "" }}
{%- endmacro %}
