"""The interactive docs: Swagger UI from our own static files (drf-spectacular-sidecar),
its start-up script a static-looking URL of ours, so the site's CSP holds (no CDN, no
inline script). Swagger UI sets inline styles and data: images, allowed on this page only."""

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularSwaggerSplitView

DOCS_CSP_UPDATE = {"style-src": ["'unsafe-inline'"], "img-src": ["data:"]}


@method_decorator(csp_update(DOCS_CSP_UPDATE), name="dispatch")
class ApiDocs(SpectacularSwaggerSplitView):
    pass
