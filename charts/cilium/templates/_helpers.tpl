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

{#- Whether the pods and containers carry a field of Cilium's 1.11.16 chart (KKP v2.20.16,
    capability cilium_chart_1_11_16) that KKP's v1.11 and v1.12 addons lack at the first
    patches of v2.21 and v2.22 (capabilities cilium_legacy_no_*):
      "termination": terminationMessagePolicy (v1.11: agent, clean-cilium-state and the
        apply-sysctl-overwrites init container itself; v1.12: every container),
      "termination_all": v1.11's on mount-cgroup and the operator, which come later,
      "install_cni": the install-cni-binaries init container, automountServiceAccountToken,
        cilium-config skip-cnp-status-startup-clean and cni-uninstall.
    Prints "true" or nothing. Usage:
      {% set termination = cilium.has(cluster, "termination") | trim %} -#}
{% macro has(cluster, field) -%}
{% set v1_12 = "chart_1_12" in cluster.cni.capabilities %}
{% set lag = {
  "termination": "cilium_legacy_no_termination_message_policy",
  "termination_all": "cilium_legacy_no_termination_message_policy" if v1_12 else "cilium_legacy_no_install_cni_binaries",
  "install_cni": "cilium_legacy_no_install_cni_binaries",
}[field] %}
{{ "true" if "cilium_chart_1_11_16" in cluster.kkp_capabilities and lag not in cluster.kkp_capabilities else "" }}
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
