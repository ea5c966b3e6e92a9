"""What can stop an install after the callback was verified: each says what failed, and
installing again completes the install."""

from app.errors import Unavailable


class InstallStepFailed(Unavailable):
    """A step against Shopify failed; ``step`` names it for the install page."""

    step = "install"


class TokenExchangeFailed(InstallStepFailed):
    step = "token exchange"


class WebhookRegistrationFailed(InstallStepFailed):
    step = "webhook registration"


class StorefrontKeyFailed(InstallStepFailed):
    step = "storefront key"


class PixelActivationFailed(InstallStepFailed):
    step = "Web Pixel activation"
