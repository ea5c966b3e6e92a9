"""The shopper's situation: device class, country or region, local hour."""
