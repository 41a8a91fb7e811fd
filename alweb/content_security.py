"""Content-Security-Policy on every response (Django 5.2 has none of its own).

The pages load their scripts and styles from the site itself, so a script injected into a page
(a project or keypoint name that slipped past escaping) does not run. Swagger UI's page keeps an
inline <style> and gets its own policy.
"""

from django.conf import settings

DOCS_URL_NAME = "api-docs"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        is_docs = match is not None and match.url_name == DOCS_URL_NAME
        policy = settings.CONTENT_SECURITY_POLICY_DOCS if is_docs else settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
