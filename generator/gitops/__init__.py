"""The GitOps loop: diff and its reports, the Argo CD plugin contract, kkpgen init."""
