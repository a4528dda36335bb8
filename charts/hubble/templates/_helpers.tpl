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

{#- Whether the pods and containers carry a field of Cilium's 1.11.16 chart (KKP v2.20.16,
    capability cilium_chart_1_11_16) that KKP's v1.11 and v1.12 addons lack at the first
    patches of v2.21 and v2.22 (capabilities cilium_legacy_no_*):
      "termination": terminationMessagePolicy (v1.11: hubble-relay and hubble-ui's backend;
        v1.12: every container),
      "termination_all": v1.11's on hubble-ui's frontend, which comes later,
      "automount": automountServiceAccountToken and hubble-ui nginx's newer `location /`.
    Prints "true" or nothing. Usage:
      {% set automount = hubble.has(cluster, "automount") | trim %} -#}
{% macro has(cluster, field) -%}
{% set v1_12 = "chart_1_12" in cluster.cni.capabilities %}
{% set lag = {
  "termination": "cilium_legacy_no_termination_message_policy",
  "termination_all": "cilium_legacy_no_termination_message_policy" if v1_12 else "cilium_legacy_no_install_cni_binaries",
  "automount": "cilium_legacy_no_install_cni_binaries",
}[field] %}
{{ "true" if "cilium_chart_1_11_16" in cluster.kkp_capabilities and lag not in cluster.kkp_capabilities else "" }}
{%- endmacro %}
