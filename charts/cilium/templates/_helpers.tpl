{#- Macros of the cilium chart. Import with
    {% import "cilium/templates/_helpers.tpl" as cilium %}
    Imported macros do not see the template context: pass what they need. -#}

{#- Env entries pointing Cilium at the apiserver directly, for when Cilium replaces
    kube-proxy (proxy mode "ebpf"): KKP sets KUBERNETES_SERVICE_HOST/PORT from the
    cluster's external address. Call it only for "ebpf".
    Usage (inside an `env:` list):
      {% if cluster.network.proxy_mode == "ebpf" %}
        {{ cilium.apiserver_env(cluster) | indent(8) }}
      {% endif %} -#}
{% macro apiserver_env(cluster) -%}
- name: KUBERNETES_SERVICE_HOST
  value: {{ cluster.address.host | required("Cilium without kube-proxy needs the apiserver host (Cluster address.url)") | quote }}
- name: KUBERNETES_SERVICE_PORT
  value: {{ cluster.address.port | string | quote }}
{%- endmacro %}

{#- Whether the pods and containers carry the fields of Cilium's newer charts: the v1.11
    layout from KKP v2.20.16 (cilium_chart_1_11_16); the v1.12 addon (catalog chart_1_12)
    its terminationMessagePolicy from v2.21.2/v2.22.0
    (cilium_legacy_termination_message_policy) and automountServiceAccountToken with the
    install-cni-binaries init container from v2.21.9/v2.22.3
    (cilium_legacy_install_cni_binaries). `field`: "termination" or "install_cni".
    Prints "true" or nothing. Usage:
      {% set termination = cilium.has(cluster, "termination") | trim %} -#}
{% macro has(cluster, field) -%}
{% if "chart_1_12" in cluster.cni.capabilities %}
{% set cap = {"install_cni": "cilium_legacy_install_cni_binaries", "termination": "cilium_legacy_termination_message_policy"}[field] %}
{% else %}
{% set cap = "cilium_chart_1_11_16" %}
{% endif %}
{{ "true" if cap in cluster.kkp_capabilities else "" }}
{%- endmacro %}


{#- A container's securityContext in the v1.12 addon: exactly the Linux capabilities it
    needs (all others dropped) and SELinux type spc_t instead of privileged.
    Usage (under `securityContext:`):
      {{ cilium.security_context(["SYS_ADMIN"]) | indent(12) }} -#}
{% macro security_context(capabilities) -%}
seLinuxOptions:
  level: s0
  type: spc_t
capabilities:
  add: [{{ capabilities | join(", ") }}]
  drop: [ALL]
{%- endmacro %}
