{#- Macros of the kube-proxy chart. Import with
    {% import "kube-proxy/templates/_helpers.tpl" as kubeproxy %} -#}

{#- labels(cluster): the standard kkpgen labels of every kube-proxy object, one per line,
    not indented. Usage: `labels:{{ kubeproxy.labels(cluster) | nindent(4) }}` -#}
{% macro labels(cluster) -%}
app.kubernetes.io/name: kube-proxy
app.kubernetes.io/component: proxy
app.kubernetes.io/version: {{ ("v" ~ cluster.kubernetes_version) | quote }}
app.kubernetes.io/managed-by: kkpgen
app.kubernetes.io/part-of: kkp-network
{%- endmacro %}

{#- selector_labels(): the DaemonSet selector KKP's kube-proxy addon uses (immutable; keep it
    so that Argo CD adopts the running DaemonSet). Usage: `{{ kubeproxy.selector_labels() | nindent(6) }}` -#}
{% macro selector_labels() -%}
k8s-app: kube-proxy
{%- endmacro %}
