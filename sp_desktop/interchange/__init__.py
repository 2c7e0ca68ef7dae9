"""Files exchanged with the world outside SP Desktop: councils' directories (Open Referral UK).

Below the services and beside sync and pdf, so the laptop's services and the office server
read and write these formats through the same code.
"""
