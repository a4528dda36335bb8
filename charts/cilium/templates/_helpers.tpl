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
