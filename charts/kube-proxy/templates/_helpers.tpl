{#- Macros of the kube-proxy chart. Import with
    {% import "kube-proxy/templates/_helpers.tpl" as kubeproxy %} -#}

{#- selector_labels(): the DaemonSet selector KKP's kube-proxy addon uses (immutable; keep it
    so that Argo CD adopts the running DaemonSet). Usage: `{{ kubeproxy.selector_labels() | nindent(6) }}` -#}
{% macro selector_labels() -%}
k8s-app: kube-proxy
{%- endmacro %}
