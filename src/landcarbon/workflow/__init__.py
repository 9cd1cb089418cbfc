"""landcarbon.workflow"""
